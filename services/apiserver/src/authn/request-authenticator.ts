/**
 * The request authenticator of kube-apiserver (reference §1.3): the union of the client
 * certificate and bearer token authenticators, `system:authenticated` added to whoever they
 * identify (AuthenticatedGroupAdder), and the whole wrapped as `union.NewFailOnError(chain,
 * anonymous)`: a token that fails is a 401 — never anonymous — and only a request that presents
 * nothing usable becomes `system:anonymous` (when `--anonymous-auth` is on).
 */
import type { UserInfo } from "../request/context.js";
import {
  ANONYMOUS_USER,
  type AuthenticationResult,
  INVALID_BEARER_TOKEN,
  type RequestAuthenticator,
  type TokenAuthenticator,
  UNAUTHENTICATED_GROUP,
  withAuthenticatedGroup,
} from "./authenticator.js";
import type { X509Authenticator } from "./x509-authenticator.js";

/** Options of {@link createRequestAuthenticator}. */
export interface RequestAuthenticatorOptions {
  /** Client certificate users; undefined when client certificates are not accepted. */
  readonly x509?: X509Authenticator;
  /** Bearer tokens (normally the cached service account token authenticator). */
  readonly token: TokenAuthenticator;
  /** `--anonymous-auth`: requests without credentials are `system:anonymous`. Default true. */
  readonly anonymous?: boolean;
}

/** Why an unauthenticated request was refused when anonymous requests are off (log only). */
export const NO_CREDENTIALS_REASON = "no credentials presented";

/** The anonymous user (k8s.io/apiserver anonymous authenticator). */
export function anonymousUser(): UserInfo {
  return { username: ANONYMOUS_USER, uid: "", groups: [UNAUTHENTICATED_GROUP], extra: {} };
}

/** Creates the request authenticator. */
export function createRequestAuthenticator(options: RequestAuthenticatorOptions): RequestAuthenticator {
  const { x509, token } = options;
  const anonymous = options.anonymous ?? true;

  return {
    async authenticate(credentials): Promise<AuthenticationResult> {
      // 1. client certificate (kube-apiserver puts x509 before the token authenticators)
      if (credentials.certificate !== undefined && x509 !== undefined) {
        const user = x509.authenticate(credentials.certificate);
        if (user !== undefined) {
          return { ok: true, user: withAuthenticatedGroup(user), warnings: [], auditAnnotations: {} };
        }
      }
      // 2. bearer token; an empty one counts as none (bearertoken.go)
      const bearer = credentials.bearerToken;
      if (bearer !== undefined && bearer !== "") {
        const result = await token.authenticateToken(bearer, undefined);
        if (result.ok) {
          return {
            ok: true,
            user: withAuthenticatedGroup(result.user),
            audiences: result.audiences,
            warnings: result.warnings,
            auditAnnotations: result.auditAnnotations,
          };
        }
        // A token nobody recognised gets the bearer wrapper's error; either way no anonymous.
        return {
          ok: false,
          reason: result.error ?? INVALID_BEARER_TOKEN,
          ...(result.auditAnnotations !== undefined ? { auditAnnotations: result.auditAnnotations } : {}),
        };
      }
      // 3. nothing presented
      if (anonymous) return { ok: true, user: anonymousUser(), warnings: [], auditAnnotations: {} };
      return { ok: false, reason: NO_CREDENTIALS_REASON };
    },
  };
}
