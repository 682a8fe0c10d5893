import { verify } from "node:crypto";
import { decodeBase64UrlStrict } from "./base64url.js";
import { CryptoError } from "./errors.js";
import { aggregateMessage } from "./go-format.js";
import type { JsonObject } from "./go-json.js";
import type { KeySet } from "./key-set.js";
import type { VerificationKey } from "./keys.js";
import { HASH_FOR_ALGORITHM } from "./sign.js";

/** A compact JWS split and decoded, not yet verified. */
export interface ParsedToken {
  /** The protected header. */
  readonly header: JsonObject;
  /** Header `alg` ("" when absent). */
  readonly alg: string;
  /** Header `kid` ("" when absent). */
  readonly kid: string;
  /** The decoded payload object (unverified until a key verifies the signature). */
  readonly payload: JsonObject;
  /** `<header>.<payload>` as sent: what the signature covers. */
  readonly signingInput: string;
  /** The raw signature bytes. */
  readonly signature: Buffer;
}

/** go-jose ErrCryptoFailure: the signature does not verify. */
export const ERR_CRYPTO_FAILURE = "go-jose/go-jose: error in cryptographic primitive";
/** go-jose ErrUnsupportedAlgorithm: `alg` is not one this key can verify. */
export const ERR_UNSUPPORTED_ALGORITHM = "go-jose/go-jose: unknown/unsupported algorithm";

function parseJsonObject(bytes: Buffer): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(bytes.toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as JsonObject)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The payload of a token if it looks like a compact JWS (reference §1.4 step 1, jwt.go
 * `hasCorrectIssuer`): not starting with `{` after trimming, exactly three `.`-separated parts, the
 * middle one RawURL base64 (padding fails) of a JSON object whose `iss`, if present, is a string.
 * Returns undefined otherwise. The payload is NOT verified.
 */
export function peekPayload(token: string): JsonObject | undefined {
  if (token.trimStart().startsWith("{")) return undefined;
  const first = token.indexOf(".");
  const second = first < 0 ? -1 : token.indexOf(".", first + 1);
  if (second < 0 || token.indexOf(".", second + 1) >= 0) return undefined;
  const bytes = decodeBase64UrlStrict(token.slice(first + 1, second));
  if (bytes === undefined) return undefined;
  return parseJsonObject(bytes);
}

/**
 * The unverified `iss` of a token as jwt.go's issuer peek reads it: a string, "" when absent or
 * null, undefined when the token is not a compact JWS or `iss` is not a string.
 */
export function peekIssuer(payload: JsonObject): string | undefined {
  // Go's encoding/json matches field names case-insensitively; the last matching key wins.
  let iss: unknown = null;
  for (const key in payload) {
    if (key === "iss" || key.toLowerCase() === "iss") iss = payload[key];
  }
  if (iss === null) return "";
  return typeof iss === "string" ? iss : undefined;
}

/**
 * Splits and decodes a compact JWS (go-jose `ParseSigned`, reference §1.4 step 2): three parts,
 * RawURL base64 header, payload and signature, a JSON-object header whose `alg` and `kid` are
 * strings when present. Tokens with a `crit` header are refused (no extension is understood,
 * RFC 7515 §4.1.11). `payload` may be passed when already decoded by {@link peekPayload}.
 */
export function parseCompactToken(token: string, payload?: JsonObject): ParsedToken | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  const headerBytes = decodeBase64UrlStrict(h);
  const signature = decodeBase64UrlStrict(s);
  if (headerBytes === undefined || signature === undefined) return undefined;
  const header = parseJsonObject(headerBytes);
  if (header === undefined || header.crit !== undefined) return undefined;
  const alg = header.alg ?? "";
  const kid = header.kid ?? "";
  if (typeof alg !== "string" || typeof kid !== "string") return undefined;
  let body = payload;
  if (body === undefined) {
    const bytes = decodeBase64UrlStrict(p);
    body = bytes === undefined ? undefined : parseJsonObject(bytes);
    if (body === undefined) return undefined;
  }
  return { header, alg, kid, payload: body, signingInput: `${h}.${p}`, signature };
}

// go-jose's ECDSA verifier sizes r and s by the header alg.
const EC_COORDINATE_BYTES: Readonly<Record<string, number>> = { ES256: 32, ES384: 48, ES512: 66 };

/**
 * Verifies the token's signature with one key; returns undefined on success or go-jose's error
 * text. Only RS256 (RSA keys) and ES256/ES384/ES512 (the key's own curve) are accepted — never
 * `none`, never HMAC, never an algorithm the key was not made for.
 */
export function verifySignature(token: ParsedToken, key: VerificationKey): string | undefined {
  const { alg, signature } = token;
  if (key.alg === "RS256") {
    if (alg !== "RS256") return ERR_UNSUPPORTED_ALGORITHM;
  } else {
    const size = EC_COORDINATE_BYTES[alg];
    if (size === undefined) return ERR_UNSUPPORTED_ALGORITHM;
    if (signature.length !== 2 * size) {
      return `go-jose/go-jose: invalid signature size, have ${signature.length} bytes, wanted ${2 * size}`;
    }
    if (alg !== key.alg) return ERR_CRYPTO_FAILURE;
  }
  try {
    const data = Buffer.from(token.signingInput);
    const ok =
      key.alg === "RS256"
        ? verify(HASH_FOR_ALGORITHM.RS256, data, key.publicKey, signature)
        : verify(
            HASH_FOR_ALGORITHM[key.alg],
            data,
            { key: key.publicKey, dsaEncoding: "ieee-p1363" },
            signature,
          );
    return ok ? undefined : ERR_CRYPTO_FAILURE;
  } catch {
    return ERR_CRYPTO_FAILURE;
  }
}

/** Result of {@link verifyToken}. */
export type VerifyTokenResult =
  | {
      readonly ok: true;
      /** The key that verified the signature. */
      readonly key: VerificationKey;
      readonly header: JsonObject;
      readonly payload: JsonObject;
    }
  | { readonly ok: false; readonly error: CryptoError };

/**
 * Verifies a compact JWS against a key set without any claim checks (steps 2–4 of reference §1.4):
 * `ERR_TOKEN_MALFORMED` when it is not a compact JWS with a JSON-object payload,
 * `ERR_TOKEN_NO_KEYS` `invalid signature, no keys found` when its kid matches no key,
 * `ERR_TOKEN_INVALID_SIGNATURE` (the aggregate of per-key errors) when no key verifies it.
 * For issuer, audience and object checks use `createJwtAuthenticator`.
 */
export function verifyToken(token: string, keys: KeySet): VerifyTokenResult {
  const parsed = token.trimStart().startsWith("{") ? undefined : parseCompactToken(token);
  if (parsed === undefined) {
    return { ok: false, error: new CryptoError("ERR_TOKEN_MALFORMED", "token is not a compact JWS") };
  }
  const candidates = keys.lookup(parsed.kid);
  if (candidates.length === 0) {
    return { ok: false, error: new CryptoError("ERR_TOKEN_NO_KEYS", "invalid signature, no keys found") };
  }
  const errors: string[] = [];
  for (const key of candidates) {
    const error = verifySignature(parsed, key);
    if (error === undefined) return { ok: true, key, header: parsed.header, payload: parsed.payload };
    errors.push(error);
  }
  return { ok: false, error: new CryptoError("ERR_TOKEN_INVALID_SIGNATURE", aggregateMessage(errors)) };
}
