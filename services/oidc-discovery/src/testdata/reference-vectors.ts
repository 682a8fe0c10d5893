/**
 * The public test vectors of Kubernetes' openidmetadata_test.go (reference §6.2, §6.3): the JWK
 * members of the RSA and ECDSA test keys, their kids, and the byte-exact documents. Public halves
 * only; the keys are built from these values at run time.
 */
import { createPublicKey, type KeyObject } from "node:crypto";

export const RSA_N =
  "249XwEo9k4tM8fMxV7zxOhcrP-WvXn917koM5Qr2ZXs4vo26e4ytdlrV0bQ9SlcLpQVSYjIxNfhTZdDt-ecIzshKuv1gKIxbbLQMOuK1eA_4HALyEkFgmS_tleLJrhc65tKPMGD-pKQ_xhmzRuCG51RoiMgbQxaCyYxGfNLpLAZK9L0Tctv9a0mJmGIYnIOQM4kC1A1I1n3EsXMWmeJUj7OTh_AjjCnMnkgvKT2tpKxYQ59PgDgU8Ssc7RDSmSkLxnrv-OrN80j6xrw0OjEiB4Ycr0PqfzZcvy8efTtFQ_Jnc4Bp1zUtFXt7-QeevePtQ2EcyELXE0i63T1CujRMWw";
export const RSA_E = "AQAB";
export const RSA_KID = "JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU";
export const EC_X = "H6cuzP8XuD5wal6wf9M6xDljTOPLX2i8uIp_C_ASqiI";
export const EC_Y = "BlHnikLV9PyEd6gl8k4T_3Wwoh6xd79XLoQTh2PAi1Y";
export const EC_KID = "SoABiieYuNx4UdqYvZRVeuC6SihxgLrhLy9peHMHpTc";

/** openidmetadata_test.go: the issuer of the expected documents. */
export const REFERENCE_ISSUER = "https://issuer.example.com";

/** openidmetadata_test.go wantConfig (reference §6.2), verbatim. */
export const REFERENCE_DISCOVERY =
  '{"issuer":"https://issuer.example.com","jwks_uri":"https://issuer.example.com/openid/v1/jwks","response_types_supported":["id_token"],"subject_types_supported":["public"],"id_token_signing_alg_values_supported":["ES256","RS256"]}';

/** openidmetadata_test.go wantKeyset (reference §6.2), verbatim. */
export const REFERENCE_JWKS =
  '{"keys":[{"use":"sig","kty":"RSA","kid":"JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU","alg":"RS256","n":"249XwEo9k4tM8fMxV7zxOhcrP-WvXn917koM5Qr2ZXs4vo26e4ytdlrV0bQ9SlcLpQVSYjIxNfhTZdDt-ecIzshKuv1gKIxbbLQMOuK1eA_4HALyEkFgmS_tleLJrhc65tKPMGD-pKQ_xhmzRuCG51RoiMgbQxaCyYxGfNLpLAZK9L0Tctv9a0mJmGIYnIOQM4kC1A1I1n3EsXMWmeJUj7OTh_AjjCnMnkgvKT2tpKxYQ59PgDgU8Ssc7RDSmSkLxnrv-OrN80j6xrw0OjEiB4Ycr0PqfzZcvy8efTtFQ_Jnc4Bp1zUtFXt7-QeevePtQ2EcyELXE0i63T1CujRMWw","e":"AQAB"},{"use":"sig","kty":"EC","kid":"SoABiieYuNx4UdqYvZRVeuC6SihxgLrhLy9peHMHpTc","crv":"P-256","alg":"ES256","x":"H6cuzP8XuD5wal6wf9M6xDljTOPLX2i8uIp_C_ASqiI","y":"BlHnikLV9PyEd6gl8k4T_3Wwoh6xd79XLoQTh2PAi1Y"}]}';

/** The RSA test public key. */
export function rsaReferenceKey(): KeyObject {
  return createPublicKey({ key: { kty: "RSA", n: RSA_N, e: RSA_E }, format: "jwk" });
}

/** The ECDSA P-256 test public key. */
export function ecReferenceKey(): KeyObject {
  return createPublicKey({ key: { kty: "EC", crv: "P-256", x: EC_X, y: EC_Y }, format: "jwk" });
}

/** Both reference keys as one PEM file (SPKI blocks, RSA first), what a key file would hold. */
export function referenceKeysPem(): string {
  return [rsaReferenceKey(), ecReferenceKey()]
    .map((k) => k.export({ type: "spki", format: "pem" }).toString())
    .join("");
}
