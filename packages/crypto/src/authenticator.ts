import { CryptoError } from "./errors.js";
import { aggregateMessage, goQuote, goQuoteList } from "./go-format.js";
import type { KeySet } from "./key-set.js";
import { decodeStandardClaims, type StandardClaims } from "./standard-claims.js";
import { type ServiceAccountInfo, toUserInfo, type UserInfo } from "./user-info.js";
import type { LastUsedUpdate, TokenValidator, ValidationEffects } from "./validation.js";
import { parseCompactToken, peekIssuer, peekPayload, verifySignature } from "./verify.js";

/** Audit annotation for tokens without `aud` (reference §1.4 step 6). */
export const LEGACY_TOKEN_ANNOTATION = "authentication.k8s.io/legacy-token";

/** Options of {@link createJwtAuthenticator}. */
export interface JwtAuthenticatorOptions<P> {
  /** Accepted `iss` values: all `--service-account-issuer`s, or `[LEGACY_ISSUER]`. */
  readonly issuers: readonly string[];
  /** Verification keys, or a getter called per token so keys can rotate. */
  readonly keys: KeySet | (() => KeySet);
  /** `--api-audiences`: used for tokens without `aud` and when the request names none. */
  readonly implicitAudiences: readonly string[];
  /** Domain checks: `createBoundValidator` or `createLegacyValidator`. */
  readonly validator: TokenValidator<P>;
}

/** The token was accepted. */
export interface AuthenticateSuccess extends ValidationEffects {
  readonly ok: true;
  /** Who the token identifies. */
  readonly info: ServiceAccountInfo;
  /** `toUserInfo(info)`. */
  readonly user: UserInfo;
  /** Token audiences ∩ requested audiences, in requested order. */
  readonly audiences: readonly string[];
  /** The verified registered claims. */
  readonly claims: StandardClaims;
}

/** The token is not for this authenticator (not a JWT, other issuer): let others try. */
export interface AuthenticateNotMine {
  readonly ok: false;
  readonly error?: undefined;
}

/** The token is for this authenticator and is rejected (→ 401, no anonymous fallback). */
export interface AuthenticateFailure {
  readonly ok: false;
  readonly error: CryptoError;
  readonly warnings: readonly string[];
  readonly auditAnnotations: Readonly<Record<string, string>>;
  readonly lastUsed?: LastUsedUpdate;
}

/** Outcome of {@link JwtAuthenticator.authenticate}: a union, not exceptions, for the hot path. */
export type AuthenticateResult = AuthenticateSuccess | AuthenticateNotMine | AuthenticateFailure;

/** A service account token authenticator (Go `jwtTokenAuthenticator`). */
export interface JwtAuthenticator {
  /** The accepted issuers. */
  readonly issuers: ReadonlySet<string>;
  /**
   * Authenticates a bearer token.
   * @param token the token as sent
   * @param requestedAudiences the audiences the request is for (TokenReview `spec.audiences`);
   *   undefined or empty → the implicit (API) audiences, as every Kubernetes caller does
   */
  authenticate(token: string, requestedAudiences?: readonly string[]): Promise<AuthenticateResult>;
}

const NOT_MINE: AuthenticateNotMine = Object.freeze({ ok: false });

function failure(
  code: CryptoError["code"],
  message: string,
  auditAnnotations: Readonly<Record<string, string>> = {},
): AuthenticateFailure {
  return { ok: false, error: new CryptoError(code, message), warnings: [], auditAnnotations };
}

/**
 * A JWT authenticator following jwt.go `AuthenticateToken` step by step (reference §1.4):
 * 1. unverified issuer peek — not a compact JWS, padded base64, or foreign `iss` → not mine;
 * 2. parse failure → not mine;
 * 3. kid lookup — no keys → `invalid signature, no keys found`;
 * 4. try each key (signature + claim decoding) — all fail → their aggregate error;
 * 5. verified `iss` re-checked → `token issuer "<iss>" is invalid`;
 * 6. audiences: no `aud` → implicit audiences (+ legacy-token annotation); intersection with the
 *    requested audiences in requested order; empty → `token audiences [..] is invalid for the
 *    target audiences [..]` (unless there are no implicit audiences);
 * 7. the validator;
 * 8. success with user info and audiences.
 */
export function createJwtAuthenticator<P>(options: JwtAuthenticatorOptions<P>): JwtAuthenticator {
  const issuers: ReadonlySet<string> = new Set(options.issuers);
  const { validator } = options;
  const implicit = [...options.implicitAudiences];
  const keySet = options.keys;
  const getKeys = typeof keySet === "function" ? keySet : () => keySet;

  async function authenticate(
    token: string,
    requestedAudiences?: readonly string[],
  ): Promise<AuthenticateResult> {
    // 1. hasCorrectIssuer
    const payload = peekPayload(token);
    if (payload === undefined) return NOT_MINE;
    const unverifiedIssuer = peekIssuer(payload);
    if (unverifiedIssuer === undefined || !issuers.has(unverifiedIssuer)) return NOT_MINE;

    // 2. ParseSigned
    const parsed = parseCompactToken(token, payload);
    if (parsed === undefined) return NOT_MINE;

    // 3. keys for the kid
    const keys = getKeys().lookup(parsed.kid);
    if (keys.length === 0) return failure("ERR_TOKEN_NO_KEYS", "invalid signature, no keys found");

    // 4. signature + claims (go-jose decodes both claim sets once a key verifies)
    const errors: string[] = [];
    let verified = false;
    let decoded: { claims: StandardClaims; privateClaims: P } | string | undefined;
    for (const key of keys) {
      const signatureError = verifySignature(parsed, key);
      if (signatureError !== undefined) {
        errors.push(signatureError);
        continue;
      }
      verified = true;
      if (decoded === undefined) {
        const standard = decodeStandardClaims(payload);
        const custom = standard.ok ? validator.decodePrivateClaims(payload) : standard;
        decoded = !standard.ok
          ? standard.error
          : !custom.ok
            ? custom.error
            : { claims: standard.value, privateClaims: custom.value };
      }
      if (typeof decoded === "string") {
        errors.push(decoded);
        continue;
      }
      break;
    }
    if (decoded === undefined || typeof decoded === "string") {
      return failure(verified ? "ERR_TOKEN_CLAIMS" : "ERR_TOKEN_INVALID_SIGNATURE", aggregateMessage(errors));
    }
    const { claims, privateClaims } = decoded;

    // 5. issuer sanity check on the verified claims
    if (!issuers.has(claims.iss))
      return failure("ERR_TOKEN_ISSUER", `token issuer ${goQuote(claims.iss)} is invalid`);

    // 6. audiences
    const annotations: Record<string, string> = {};
    let tokenAudiences = claims.aud;
    if (tokenAudiences.length === 0) {
      // Only API audiences are allowed for tokens without aud (legacy semantics).
      annotations[LEGACY_TOKEN_ANNOTATION] = claims.sub;
      tokenAudiences = implicit;
    }
    const requested =
      requestedAudiences !== undefined && requestedAudiences.length > 0 ? requestedAudiences : implicit;
    const audiences = requested.filter((aud) => tokenAudiences.includes(aud));
    if (audiences.length === 0 && implicit.length !== 0) {
      return failure(
        "ERR_TOKEN_AUDIENCE",
        `token audiences ${goQuoteList(tokenAudiences)} is invalid for the target audiences ${goQuoteList(requested)}`,
        annotations,
      );
    }

    // 7. validator
    const result = await validator.validate({ token, claims, privateClaims });
    const auditAnnotations = { ...annotations, ...result.auditAnnotations };
    const effects = {
      warnings: result.warnings,
      auditAnnotations,
      ...(result.lastUsed !== undefined ? { lastUsed: result.lastUsed } : {}),
    };
    if (!result.ok) return { ok: false, error: result.error, ...effects };

    // 8. success
    return { ok: true, info: result.info, user: toUserInfo(result.info), audiences, claims, ...effects };
  }

  return { issuers, authenticate };
}
