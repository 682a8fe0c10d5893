import { createPublicKey } from "node:crypto";
import { createLocalJWKSet, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { renderJwk, renderJwks } from "./jwks.js";
import { generateSigningKey, parsePublicKeysPem, verificationKeyFrom } from "./keys.js";
import { signToken } from "./sign.js";
import { ecTestPublicKey, JWKS, rsaTestPublicKey } from "./testdata/vectors.js";

const spkiPem = (key: ReturnType<typeof rsaTestPublicKey>) =>
  key.export({ type: "spki", format: "pem" }).toString();

describe("renderJwks (reference §6.2)", () => {
  it("renders the test keys byte-identically to openidmetadata_test.go", () => {
    const keys = [verificationKeyFrom(rsaTestPublicKey()), verificationKeyFrom(ecTestPublicKey())];
    expect(renderJwks(keys)).toBe(JWKS);
  });

  it("gives the same bytes for the keys read from PEM", () => {
    expect(renderJwks(parsePublicKeysPem(spkiPem(rsaTestPublicKey()) + spkiPem(ecTestPublicKey())))).toBe(
      JWKS,
    );
  });

  it.each(["RS256", "ES256", "ES384", "ES512"] as const)(
    "%s: a private key publishes exactly what its public key does",
    (alg) => {
      const key = generateSigningKey(alg);
      const fromPublic = renderJwk(verificationKeyFrom(createPublicKey(key.privateKey)));
      expect(renderJwk(key)).toBe(fromPublic);
      expect(Object.keys(JSON.parse(fromPublic))).toEqual(
        alg === "RS256"
          ? ["use", "kty", "kid", "alg", "n", "e"]
          : ["use", "kty", "kid", "crv", "alg", "x", "y"],
      );
      expect(fromPublic).not.toContain('"d"');
    },
  );

  it.each([
    ["ES256", "P-256", 43],
    ["ES384", "P-384", 64],
    ["ES512", "P-521", 88],
  ] as const)("%s: crv %s and fixed-length coordinates (%i chars)", (alg, crv, length) => {
    for (let i = 0; i < 20; i++) {
      const jwk = JSON.parse(renderJwk(generateSigningKey(alg)));
      expect([jwk.crv, jwk.x.length, jwk.y.length]).toEqual([crv, length, length]);
    }
  });

  it("writes e = 65537 as AQAB and keeps the order given", () => {
    const a = generateSigningKey("ES256");
    const b = generateSigningKey("RS256");
    const parsed = JSON.parse(renderJwks([a, b]));
    expect(parsed.keys.map((k: { kid: string }) => k.kid)).toEqual([a.kid, b.kid]);
    expect(parsed.keys[1].e).toBe("AQAB");
  });

  it("is usable by an independent verifier (jose)", async () => {
    const keys = [generateSigningKey("RS256"), generateSigningKey("ES256"), generateSigningKey("ES512")];
    const jwks = createLocalJWKSet(JSON.parse(renderJwks(keys)));
    for (const key of keys) {
      const { payload } = await jwtVerify(signToken(key, { sub: key.alg }), jwks);
      expect(payload.sub).toBe(key.alg);
    }
  });
});
