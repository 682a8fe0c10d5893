/**
 * What the discovery document says besides the keys — issuer and jwks_uri — and the start-up
 * checks on the flags that set them. The service refuses to start on a bad value: kube-apiserver
 * would log the error and serve no discovery at all (reference §6.1, §11.16), and serving nothing
 * is all this service could do.
 */
import { hostname as osHostname } from "node:os";
import {
  CryptoError,
  createOpenIdMetadata,
  validateJwksUri,
  validateServiceAccountIssuers,
} from "@tokenplane/crypto";
import { aggregateMessage, OidcDiscoveryError } from "../errors.js";

/** The inputs of the discovery document other than the keys. */
export interface DiscoverySettings {
  /** The first `--service-account-issuer`: the document's `issuer`, the tokens' `iss`. */
  readonly issuer: string;
  /** `--service-account-jwks-uri`; empty = built from `externalAddress`. */
  readonly jwksUri: string;
  /** `host:port` relying parties reach this service at (Go `net.JoinHostPort`). */
  readonly externalAddress: string;
}

/** Options of {@link externalAddress}. */
export interface ExternalAddressOptions {
  /** `--external-hostname`; empty = `bindAddress`, or `hostname()` when that is unspecified. */
  readonly externalHostname: string;
  /** The address the HTTPS server listens on. */
  readonly bindAddress: string;
  /** The HTTPS port (the bound one when the flag said 0). */
  readonly port: number;
  /** The machine's host name; default `os.hostname()`. */
  readonly hostname?: () => string;
}

const UNSPECIFIED = new Set(["", "0.0.0.0", "::", "[::]"]);

/**
 * The external `host:port` of this service, as kube-apiserver derives its own from
 * `--external-hostname` and `--secure-port` (`net.JoinHostPort`: IPv6 hosts in brackets).
 */
export function externalAddress(options: ExternalAddressOptions): string {
  let host = options.externalHostname;
  if (host === "") {
    host = UNSPECIFIED.has(options.bindAddress) ? (options.hostname ?? osHostname)() : options.bindAddress;
  }
  return host.includes(":") ? `[${host}]:${options.port}` : `${host}:${options.port}`;
}

/**
 * kube-apiserver's validation of `--service-account-issuer` (all values) and
 * `--service-account-jwks-uri` (reference §1.3), every failure reported together in Go's aggregate
 * form; then the discovery construction checks of the first issuer and the JWKS URI (reference
 * §6.1: `issuer URL must use https scheme, got: …`, `issuer URL may not include a query, got: …`,
 * `jwksURI requires https scheme, parsed as: …`, the external-address round trip). Throws
 * {@link OidcDiscoveryError} `ERR_INVALID_FLAGS` (§1.3) or the {@link CryptoError} of §6.1.
 */
export function checkDiscoveryFlags(
  issuers: readonly string[],
  settings: Omit<DiscoverySettings, "issuer">,
): string {
  const messages = validateServiceAccountIssuers(issuers).map((e) => e.message);
  const jwksError = validateJwksUri(settings.jwksUri);
  if (jwksError !== undefined) messages.push(jwksError.message);
  if (messages.length > 0) throw new OidcDiscoveryError("ERR_INVALID_FLAGS", aggregateMessage(messages));
  const issuer = issuers[0] ?? "";
  try {
    // The URL checks run first, in Kubernetes' order; "no keys" is the last check of all, so
    // reaching it means issuer and jwks_uri are fine.
    createOpenIdMetadata({ ...settings, issuer, keys: [] });
  } catch (err) {
    if (err instanceof CryptoError && err.code === "ERR_NO_KEYS") return issuer;
    throw err;
  }
  /* c8 ignore next */
  return issuer;
}
