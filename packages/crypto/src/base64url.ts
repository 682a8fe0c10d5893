/**
 * Base64url helpers with Go's `base64.RawURLEncoding` semantics on decode: no padding, URL
 * alphabet only, `\r`/`\n` ignored (Go's decoder skips them). Internal to the package.
 */

const RAW_URL = /^[A-Za-z0-9_-]*$/;

/** base64url without padding (RFC 7515 §2). */
export function encodeBase64Url(data: Uint8Array | string): string {
  return (typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data)).toString("base64url");
}

/**
 * Decodes like Go's `base64.RawURLEncoding.DecodeString`: returns undefined for padding (`=`),
 * characters outside the URL alphabet, or an impossible length (len % 4 == 1). Node's own
 * `Buffer.from(s, "base64url")` silently skips bad characters, which would let a padded token
 * through the issuer peek (reference §1.4 step 1).
 */
export function decodeBase64UrlStrict(value: string): Buffer | undefined {
  let s = value;
  if (s.includes("\r") || s.includes("\n")) s = s.replace(/[\r\n]/g, "");
  if (!RAW_URL.test(s) || s.length % 4 === 1) return undefined;
  return Buffer.from(s, "base64url");
}
