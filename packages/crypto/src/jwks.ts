import { goJsonString } from "./canonical-json.js";
import type { VerificationKey } from "./keys.js";

const CURVE: Readonly<Record<string, { crv: string; size: number }>> = {
  ES256: { crv: "P-256", size: 32 },
  ES384: { crv: "P-384", size: 48 },
  ES512: { crv: "P-521", size: 66 },
};

// Big-endian minimal bytes, as go-jose writes n and e.
function minimal(b64: string): string {
  const bytes = Buffer.from(b64, "base64url");
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return bytes.subarray(start).toString("base64url");
}

// Fixed-length coordinates for the curve, as go-jose writes x and y.
function fixed(b64: string, size: number): string {
  const bytes = Buffer.from(b64, "base64url");
  if (bytes.length >= size) return bytes.subarray(bytes.length - size).toString("base64url");
  return Buffer.concat([Buffer.alloc(size - bytes.length), bytes]).toString("base64url");
}

/**
 * One public JWK in go-jose's member order (reference §6.2): `use, kty, kid, crv (EC only), alg`,
 * then `n, e` (RSA, minimal big-endian) or `x, y` (EC, fixed length). Only the public half is ever
 * written, whatever key is passed.
 */
export function renderJwk(key: VerificationKey): string {
  const jwk = key.publicKey.export({ format: "jwk" });
  const kid = goJsonString(key.kid);
  if (key.alg === "RS256") {
    return `{"use":"sig","kty":"RSA","kid":${kid},"alg":"RS256","n":"${minimal(jwk.n!)}","e":"${minimal(jwk.e!)}"}`;
  }
  const { crv, size } = CURVE[key.alg]!;
  return (
    `{"use":"sig","kty":"EC","kid":${kid},"crv":"${crv}","alg":"${key.alg}",` +
    `"x":"${fixed(jwk.x!, size)}","y":"${fixed(jwk.y!, size)}"}`
  );
}

/**
 * The JWKS document served at `/openid/v1/jwks` (reference §6.2), byte for byte as Kubernetes
 * renders it: `{"keys":[...]}` with the keys in the given order.
 */
export function renderJwks(keys: readonly VerificationKey[]): string {
  return `{"keys":[${keys.map(renderJwk).join(",")}]}`;
}
