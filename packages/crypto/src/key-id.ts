import { createHash, createPublicKey, type KeyObject } from "node:crypto";

/**
 * The Kubernetes key id of a public key (reference §6.3, jwt.go `keyIDFromPublicKey`):
 * base64url without padding of SHA-256 over the DER SubjectPublicKeyInfo — the bytes of a
 * `-----BEGIN PUBLIC KEY-----` block. The same value goes into token headers, the JWKS and key
 * lookup during verification.
 *
 * @param key a public KeyObject, a private KeyObject (its public half is used), or SPKI DER bytes
 */
export function keyIdFromPublicKey(key: KeyObject | Uint8Array): string {
  const der = key instanceof Uint8Array ? key : spkiDer(key);
  return createHash("sha256").update(der).digest("base64url");
}

/** DER SubjectPublicKeyInfo of a public or private KeyObject (Go `x509.MarshalPKIXPublicKey`). */
export function spkiDer(key: KeyObject): Buffer {
  if (key.type === "secret") throw new TypeError("a secret (symmetric) key has no public key");
  // createPublicKey accepts a private KeyObject and derives its public half.
  const pub = key.type === "private" ? createPublicKey(key) : key;
  return pub.export({ type: "spki", format: "der" });
}
