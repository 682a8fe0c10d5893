/**
 * The authentication boundary: a request's credentials in, a user (or a refusal) out.
 * Kubernetes' chain: client certificate, then bearer token (legacy + bound service-account
 * tokens), wrapped so that an authenticator *error* rejects the request (no anonymous fallback),
 * reference §1.3.
 */
import type { UserInfo } from "../request/context.js";

/** What a request presents. */
export interface Credentials {
  /** Subject of a verified client certificate (TLS already checked the chain against the cluster CA). */
  certificate?: { commonName: string; organizations: string[] };
  /** `Authorization: Bearer <token>` value; "" counts as no token (Kubernetes' bearer authenticator). */
  bearerToken?: string;
}

export type AuthenticationResult =
  | {
      ok: true;
      user: UserInfo;
      /** Audiences the token was valid for (token authentication only). */
      audiences?: string[];
      /** Warnings to send back (e.g. auto-generated legacy token use, reference §1.6). */
      warnings: string[];
      auditAnnotations: Record<string, string>;
    }
  /**
   * `reason` goes to the log only; the client sees a bare 401 (reference §1.3). Audit annotations
   * a rejected token produced (e.g. `authentication.k8s.io/legacy-token-invalidated`) belong in
   * the request's audit record all the same.
   */
  | { ok: false; reason: string; auditAnnotations?: Record<string, string> };

export interface RequestAuthenticator {
  /** `system:authenticated` is added to the groups of every successful result except anonymous. */
  authenticate(credentials: Credentials): Promise<AuthenticationResult>;
}

/**
 * Outcome of {@link TokenAuthenticator.authenticateToken}. `ok: false` without `error` means no
 * authenticator recognised the token (Kubernetes' `(nil, false, nil)`), which the bearer wrapper
 * and TokenReview report as `invalid bearer token`.
 */
export type TokenAuthenticationResult =
  | {
      ok: true;
      user: UserInfo;
      audiences: string[];
      warnings: string[];
      auditAnnotations: Record<string, string>;
    }
  | { ok: false; error?: string; auditAnnotations?: Record<string, string> };

/** What a TokenReview asks: the token and the audiences to check it against (reference §1.8). */
export interface TokenAuthenticator {
  /**
   * @param token the bearer token
   * @param audiences the audiences the caller wants (TokenReview `spec.audiences`); undefined or
   *   empty → the API audiences. `user.groups` never contains `system:authenticated`: the request
   *   authenticator and TokenReview add it, as Kubernetes' AuthenticatedGroupAdder does.
   */
  authenticateToken(token: string, audiences: string[] | undefined): Promise<TokenAuthenticationResult>;
}

/** The error of a bearer token no authenticator recognised (k8s.io/apiserver bearertoken.go). */
export const INVALID_BEARER_TOKEN = "invalid bearer token";

/** `system:authenticated` (user.AllAuthenticated). */
export const AUTHENTICATED_GROUP = "system:authenticated";
/** `system:unauthenticated` (user.AllUnauthenticated). */
export const UNAUTHENTICATED_GROUP = "system:unauthenticated";
/** `system:anonymous` (user.Anonymous). */
export const ANONYMOUS_USER = "system:anonymous";

/**
 * Kubernetes' AuthenticatedGroupAdder: a copy of `user` with `system:authenticated` appended,
 * unless the user is `system:anonymous` or already carries `system:authenticated` or
 * `system:unauthenticated`.
 */
export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  const copy = copyUser(user);
  if (user.username === ANONYMOUS_USER) return copy;
  if (user.groups.some((g) => g === AUTHENTICATED_GROUP || g === UNAUTHENTICATED_GROUP)) return copy;
  copy.groups.push(AUTHENTICATED_GROUP);
  return copy;
}

/** A deep copy of a user (cached results are shared; callers may change their copy). */
export function copyUser(user: UserInfo): UserInfo {
  const extra: Record<string, string[]> = {};
  for (const [key, values] of Object.entries(user.extra)) extra[key] = [...values];
  return { username: user.username, uid: user.uid, groups: [...user.groups], extra };
}

/** utilerrors.NewAggregate(errs).Error(): one message as is, several as `[a, b]`, duplicates dropped. */
export function aggregateErrors(messages: readonly string[]): string {
  const unique = [...new Set(messages)];
  if (messages.length === 1 || unique.length === 1) return unique[0] ?? "";
  return `[${unique.join(", ")}]`;
}
