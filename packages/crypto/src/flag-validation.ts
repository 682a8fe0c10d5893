import { CryptoError } from "./errors.js";
import { goQuote } from "./go-format.js";
import { goUrlString, parseGoUrl } from "./go-url.js";

// The `%v` of a Go url.Error is re-created by go-url.ts (`parse "<url>": <reason>`); the reason
// texts match Go's for the common failures but are not guaranteed byte-for-byte for every input.

/**
 * Checks one `--service-account-issuer` value as kube-apiserver does (reference §1.3): a value
 * containing `:` must parse as a URL (`service-account-issuer "<v>" contained a ':' but was not a
 * valid URL: <parse error>`); the empty string is refused (`service-account-issuer should not be an
 * empty string`). A plain string without `:` (e.g. `kubernetes/serviceaccount`) is fine.
 */
export function validateServiceAccountIssuer(issuer: string): CryptoError | undefined {
  if (issuer.includes(":")) {
    const parsed = parseGoUrl(issuer);
    if (!parsed.ok) {
      return new CryptoError(
        "ERR_ISSUER_URL",
        `service-account-issuer ${goQuote(issuer)} contained a ':' but was not a valid URL: ${parsed.error}`,
      );
    }
  }
  if (issuer === "")
    return new CryptoError("ERR_ISSUER_URL", "service-account-issuer should not be an empty string");
  return undefined;
}

/**
 * Checks all `--service-account-issuer` values (repeatable flag): at least one
 * (`service-account-issuer is a required flag`), each as {@link validateServiceAccountIssuer}, no
 * repeats (`service-account-issuer "<v>" is already specified`). Returns every error, in order.
 */
export function validateServiceAccountIssuers(issuers: readonly string[]): CryptoError[] {
  if (issuers.length === 0)
    return [new CryptoError("ERR_ISSUER_URL", "service-account-issuer is a required flag")];
  const errors: CryptoError[] = [];
  const seen = new Set<string>();
  for (const issuer of issuers) {
    const error = validateServiceAccountIssuer(issuer);
    if (error !== undefined) {
      errors.push(error);
      continue;
    }
    if (seen.has(issuer)) {
      errors.push(
        new CryptoError("ERR_ISSUER_URL", `service-account-issuer ${goQuote(issuer)} is already specified`),
      );
      continue;
    }
    seen.add(issuer);
  }
  return errors;
}

/**
 * Checks `--service-account-jwks-uri` (reference §1.3): unset ("") is fine; otherwise it must parse
 * (`service-account-jwks-uri must be a valid URL: <parse error>`) and use https
 * (`service-account-jwks-uri requires https scheme, parsed as: <url>`).
 */
export function validateJwksUri(uri: string): CryptoError | undefined {
  if (uri === "") return undefined;
  const parsed = parseGoUrl(uri);
  if (!parsed.ok)
    return new CryptoError("ERR_JWKS_URI", `service-account-jwks-uri must be a valid URL: ${parsed.error}`);
  if (parsed.url.scheme !== "https") {
    return new CryptoError(
      "ERR_JWKS_URI",
      `service-account-jwks-uri requires https scheme, parsed as: ${goUrlString(parsed.url)}`,
    );
  }
  return undefined;
}
