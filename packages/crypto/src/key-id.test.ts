import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { keyIdFromPublicKey, spkiDer } from "./key-id.js";
import { EC_KID, ecTestPublicKey, RSA_KID, rsaTestPublicKey } from "./testdata/vectors.js";

describe("keyIdFromPublicKey", () => {
  // keyid_test.go: "must not change" (reference §6.3).
  it.each([
    ["RSA", rsaTestPublicKey, RSA_KID],
    ["ECDSA P-256", ecTestPublicKey, EC_KID],
  ])("derives the Kubernetes kid of the %s test key", (_name, key, kid) => {
    expect(keyIdFromPublicKey(key())).toBe(kid);
  });

  it("hashes the SPKI DER, so DER bytes give the same kid", () => {
    const key = rsaTestPublicKey();
    expect(keyIdFromPublicKey(spkiDer(key))).toBe(RSA_KID);
  });

  it("uses the public half of a private key", () => {
    const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-384" });
    expect(keyIdFromPublicKey(privateKey)).toBe(keyIdFromPublicKey(publicKey));
    expect(keyIdFromPublicKey(publicKey)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
