import { goJsonString } from "./canonical-json.js";
import { CryptoError } from "./errors.js";
import { type GoUrl, goUrlString, parseGoUrl } from "./go-url.js";
import { renderJwks } from "./jwks.js";
import { KeySet } from "./key-set.js";
import type { VerificationKey } from "./keys.js";

/** Path of the OIDC discovery document (openidmetadata.go `OpenIDConfigPath`). */
export const OPENID_CONFIG_PATH = "/.well-known/openid-configuration";
/** Path of the JWKS (openidmetadata.go `JWKSPath`). */
export const JWKS_PATH = "/openid/v1/jwks";
/** Content-Type of the discovery document. */
export const OPENID_CONFIG_CONTENT_TYPE = "application/json";
/** Content-Type of the JWKS. */
export const JWKS_CONTENT_TYPE = "application/jwk-set+json";
/** Cache-Control of both documents (pkg/routes/openidmetadata.go). */
export const OPENID_CACHE_CONTROL = "public, max-age=3600";

/** Options of {@link createOpenIdMetadata}. */
export interface OpenIdMetadataOptions {
  /** The service account issuer (first `--service-account-issuer`); must be https, no query or fragment. */
  readonly issuer: string;
  /** `--service-account-jwks-uri`; must be https. Empty/absent → built from `externalAddress`. */
  readonly jwksUri?: string;
  /** The apiserver's external `host[:port]` (no scheme) used for the default JWKS URI. */
  readonly externalAddress?: string;
  /** The keys to publish (public halves only are written), in order. */
  readonly keys: readonly VerificationKey[] | KeySet;
}

/** The rendered documents. */
export interface OpenIdMetadata {
  /** The discovery document, byte-exact (reference §6.2). */
  readonly configuration: string;
  /** The JWKS document, byte-exact (reference §6.2). */
  readonly jwks: string;
  /** The `jwks_uri` advertised in the configuration. */
  readonly jwksUri: string;
}

const BUILD_JWKS_URI_ERROR =
  "attempted to build jwks_uri from external address %s, but could not construct a valid URL. Error: %v";

function buildJwksError(address: string, reason: string): CryptoError {
  return new CryptoError("ERR_JWKS_URI", BUILD_JWKS_URI_ERROR.replace("%s", address).replace("%v", reason));
}

// The default JWKS URI: https://<externalAddress>/openid/v1/jwks, checked by parsing it back
// (an address that carries a scheme or path does not survive the round trip).
function jwksUriFromAddress(address: string): string {
  if (address === "") throw buildJwksError(address, "empty address");
  const built: GoUrl = {
    scheme: "https",
    opaque: "",
    user: undefined,
    host: address,
    rawPath: JWKS_PATH,
    rawQuery: "",
    forceQuery: false,
    rawFragment: "",
    omitHost: false,
  };
  const uri = goUrlString(built);
  const parsed = parseGoUrl(uri);
  if (!parsed.ok) throw buildJwksError(address, parsed.error);
  const p = parsed.url;
  if (p.scheme !== built.scheme || p.host !== built.host || p.rawPath !== built.rawPath) {
    throw buildJwksError(address, `got ${goUrlString(p)}, expected ${uri}`);
  }
  return uri;
}

/**
 * Builds the OIDC discovery and JWKS documents (openidmetadata.go `NewOpenIDMetadataProvider`,
 * reference §6.1), checking in Kubernetes' order and throwing CryptoError with its texts:
 * `empty issuer URL`; `either the JWKS URI or the default external address, or both, must be set`;
 * the issuer's URL parse error; `issuer URL must use https scheme, got: <iss>`; `issuer URL may not
 * include a query, got: <iss>`; `… a fragment, got: <iss>`; the JWKS URI's parse error or
 * `jwksURI requires https scheme, parsed as: <uri>`, or the external-address build error;
 * `no keys provided for validating keyset`. Kubernetes logs these and serves no discovery (404).
 */
export function createOpenIdMetadata(options: OpenIdMetadataOptions): OpenIdMetadata {
  const { issuer } = options;
  const jwksUriOption = options.jwksUri ?? "";
  const externalAddress = options.externalAddress ?? "";
  if (issuer === "") throw new CryptoError("ERR_ISSUER_URL", "empty issuer URL");
  if (jwksUriOption === "" && externalAddress === "") {
    throw new CryptoError(
      "ERR_JWKS_URI",
      "either the JWKS URI or the default external address, or both, must be set",
    );
  }

  const iss = parseGoUrl(issuer);
  if (!iss.ok) throw new CryptoError("ERR_ISSUER_URL", iss.error);
  if (iss.url.scheme !== "https") {
    throw new CryptoError("ERR_ISSUER_URL", `issuer URL must use https scheme, got: ${issuer}`);
  }
  if (iss.url.rawQuery !== "") {
    throw new CryptoError("ERR_ISSUER_URL", `issuer URL may not include a query, got: ${issuer}`);
  }
  if (iss.url.rawFragment !== "") {
    throw new CryptoError("ERR_ISSUER_URL", `issuer URL may not include a fragment, got: ${issuer}`);
  }

  let jwksUri = jwksUriOption;
  if (jwksUri === "") {
    jwksUri = jwksUriFromAddress(externalAddress);
  } else {
    const parsed = parseGoUrl(jwksUri);
    if (!parsed.ok) throw new CryptoError("ERR_JWKS_URI", parsed.error);
    if (parsed.url.scheme !== "https") {
      throw new CryptoError(
        "ERR_JWKS_URI",
        `jwksURI requires https scheme, parsed as: ${goUrlString(parsed.url)}`,
      );
    }
  }

  const keys = options.keys instanceof KeySet ? options.keys.keys : options.keys;
  if (keys.length === 0) throw new CryptoError("ERR_NO_KEYS", "no keys provided for validating keyset");
  // sets.NewString(...).List(): sorted, unique.
  const algs = [...new Set(keys.map((key) => key.alg))].sort();
  const configuration =
    `{"issuer":${goJsonString(issuer)},"jwks_uri":${goJsonString(jwksUri)},` +
    `"response_types_supported":["id_token"],"subject_types_supported":["public"],` +
    `"id_token_signing_alg_values_supported":[${algs.map((alg) => `"${alg}"`).join(",")}]}`;
  return { configuration, jwks: renderJwks(keys), jwksUri };
}
