/**
 * The two documents this service serves, rendered once per key set (not per request) by
 * @tokenplane/crypto's `createOpenIdMetadata` — byte-exact as Kubernetes writes them (reference
 * §6.2) — with an entity tag each for conditional GET.
 */
import { createHash } from "node:crypto";
import { createOpenIdMetadata, type VerificationKey } from "@tokenplane/crypto";
import type { DiscoverySettings } from "./discovery-settings.js";

/** One rendered document. */
export interface ServedDocument {
  /** The exact bytes served. */
  readonly body: Buffer;
  /** Strong entity tag of `body` (quoted): it changes exactly when the bytes change. */
  readonly etag: string;
}

/** Both documents for one key set. */
export interface DiscoveryDocuments {
  /** `/.well-known/openid-configuration`. */
  readonly configuration: ServedDocument;
  /** `/openid/v1/jwks`. */
  readonly jwks: ServedDocument;
  /** The `jwks_uri` advertised. */
  readonly jwksUri: string;
  /** The kids published, in JWKS order. */
  readonly kids: readonly string[];
}

/** A strong entity tag: the quoted base64url SHA-256 of the bytes. */
export function entityTag(body: Uint8Array): string {
  return `"${createHash("sha256").update(body).digest("base64url")}"`;
}

function served(text: string): ServedDocument {
  const body = Buffer.from(text, "utf8");
  return { body, etag: entityTag(body) };
}

/**
 * Renders both documents. Keys are published in the given order (the configured order,
 * reference §6.2); the same key given twice (same kid) is published once, so that a key listed in
 * two files does not make relying parties see two candidates for one kid. Throws the
 * `CryptoError` of `createOpenIdMetadata` (e.g. `no keys provided for validating keyset`).
 */
export function renderDiscoveryDocuments(
  settings: DiscoverySettings,
  keys: readonly VerificationKey[],
): DiscoveryDocuments {
  const seen = new Set<string>();
  const unique = keys.filter((key) => {
    if (seen.has(key.kid)) return false;
    seen.add(key.kid);
    return true;
  });
  const metadata = createOpenIdMetadata({
    issuer: settings.issuer,
    jwksUri: settings.jwksUri,
    externalAddress: settings.externalAddress,
    keys: unique,
  });
  return {
    configuration: served(metadata.configuration),
    jwks: served(metadata.jwks),
    jwksUri: metadata.jwksUri,
    kids: unique.map((key) => key.kid),
  };
}
