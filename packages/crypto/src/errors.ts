/**
 * The one error class of @tokenplane/crypto.
 *
 * Every failure that comes from data (a key file, a token, a URL, an object lookup) is a
 * {@link CryptoError} with a stable `code`; programmer misuse (wrong argument types, impossible
 * option combinations) throws `TypeError` instead. Where Kubernetes has a text for the failure,
 * `message` is that text byte for byte (reference §1, §6), because callers put it on the wire
 * (`TokenReview.status.error`, logs that people compare with a real cluster).
 */

/** The closed set of error codes. Stable: callers switch on them. */
export const CRYPTO_ERROR_CODES = [
  /** A PEM/DER input holds no usable key, or a block could not be decoded. */
  "ERR_KEY_PARSE",
  /** A key decoded fine but its type or curve is not RSA / ECDSA P-256, P-384, P-521. */
  "ERR_KEY_UNSUPPORTED",
  /** The input is not a compact JWS (only from `verifyToken`; the authenticator says "not mine"). */
  "ERR_TOKEN_MALFORMED",
  /** The token's kid matched no configured key (`invalid signature, no keys found`). */
  "ERR_TOKEN_NO_KEYS",
  /** No configured key verified the signature (aggregate of the per-key errors). */
  "ERR_TOKEN_INVALID_SIGNATURE",
  /** The signature verified but the claims could not be decoded, or required claims are missing/invalid. */
  "ERR_TOKEN_CLAIMS",
  /** The verified `iss` is not one of the authenticator's issuers. */
  "ERR_TOKEN_ISSUER",
  /** The token's audiences do not intersect the requested ones. */
  "ERR_TOKEN_AUDIENCE",
  /** `exp` is more than 60 s in the past. */
  "ERR_TOKEN_EXPIRED",
  /** `nbf` is more than 60 s in the future. */
  "ERR_TOKEN_NOT_YET_VALID",
  /** `iat` is more than 60 s in the future. */
  "ERR_TOKEN_ISSUED_IN_FUTURE",
  /** The ServiceAccount lookup failed; the message is the getter's error, verbatim. */
  "ERR_TOKEN_LOOKUP",
  /** The ServiceAccount has been deleted. */
  "ERR_TOKEN_DELETED",
  /** A live object's UID differs from the one in the token. */
  "ERR_TOKEN_UID_MISMATCH",
  /** The bound object (secret, pod, node) or the legacy token secret is gone or being deleted. */
  "ERR_TOKEN_INVALIDATED",
  /** A legacy token differs from the copy stored in its Secret. */
  "ERR_TOKEN_MISMATCH",
  /** A legacy token's Secret carries the invalid-since label. */
  "ERR_TOKEN_MARKED_INVALID",
  /** boundClaims was asked to bind a token to incompatible objects. */
  "ERR_CLAIMS_BINDING",
  /** A service account username is not `system:serviceaccount:<ns>:<name>`. */
  "ERR_USERNAME",
  /** An issuer URL (flag or discovery) is invalid. */
  "ERR_ISSUER_URL",
  /** A JWKS URI (flag, discovery, or built from the external address) is invalid. */
  "ERR_JWKS_URI",
  /** Discovery was asked to publish an empty key set. */
  "ERR_NO_KEYS",
  /** A certificate or its key could not be created or read. */
  "ERR_CERTIFICATE",
] as const;

/** One of {@link CRYPTO_ERROR_CODES}. */
export type CryptoErrorCode = (typeof CRYPTO_ERROR_CODES)[number];

/**
 * A failure caused by data, with a stable `code` and (where one exists) Kubernetes' exact text as
 * `message`.
 */
export class CryptoError extends Error {
  /** Stable machine-readable code. */
  readonly code: CryptoErrorCode;

  /**
   * @param code one of {@link CRYPTO_ERROR_CODES}
   * @param message the human text; Kubernetes' text where it has one
   * @param options `cause`: the underlying error, kept for logs
   */
  constructor(code: CryptoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CryptoError";
    this.code = code;
  }
}

/** True if `value` is a {@link CryptoError}, optionally with the given code. */
export function isCryptoError(value: unknown, code?: CryptoErrorCode): value is CryptoError {
  return value instanceof CryptoError && (code === undefined || value.code === code);
}
