import { verify } from "node:crypto";
import { compactVerify, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { boundClaims } from "./claims.js";
import { generateSigningKey, type SigningAlgorithm } from "./keys.js";
import { randomJti, signToken } from "./sign.js";

const NOW = 1514764800;
const claims = boundClaims({
  issuer: "https://issuer.example.com",
  audiences: ["api"],
  serviceAccount: { namespace: "myns", name: "mysvcacct", uid: "mysvcacct-uid" },
  pod: { name: "mypod", uid: "mypod-uid" },
  node: { name: "mynode", uid: "mynode-uid" },
  expirationSeconds: 100,
  warnafterSeconds: 3600,
  now: NOW,
  jti: "fixed",
});

function decodePart(token: string, index: number): string {
  return Buffer.from(token.split(".")[index]!, "base64url").toString("utf8");
}

describe("signToken", () => {
  const keys = Object.fromEntries(
    (["RS256", "ES256", "ES384", "ES512"] as const).map((alg) => [alg, generateSigningKey(alg)]),
  ) as Record<SigningAlgorithm, ReturnType<typeof generateSigningKey>>;

  it.each(["RS256", "ES256", "ES384", "ES512"] as const)(
    "%s: header is exactly {alg, kid} with no typ (reference §1.1)",
    (alg) => {
      const token = signToken(keys[alg], claims);
      expect(decodePart(token, 0)).toBe(`{"alg":"${alg}","kid":"${keys[alg].kid}"}`);
      expect(token.split(".")).toHaveLength(3);
      expect(token).not.toContain("=");
    },
  );

  it("writes payload keys sorted at every level", () => {
    const token = signToken(keys.ES256, claims);
    expect(decodePart(token, 1)).toBe(
      '{"aud":["api"],"exp":1514764900,"iat":1514764800,"iss":"https://issuer.example.com","jti":"fixed",' +
        '"kubernetes.io":{"namespace":"myns","node":{"name":"mynode","uid":"mynode-uid"},' +
        '"pod":{"name":"mypod","uid":"mypod-uid"},"serviceaccount":{"name":"mysvcacct","uid":"mysvcacct-uid"},' +
        '"warnafter":1514768400},"nbf":1514764800,"sub":"system:serviceaccount:myns:mysvcacct"}',
    );
  });

  it("escapes <, > and & like Go's encoding/json", () => {
    const token = signToken(keys.ES256, { aud: ["https://a.example/?x=1&y=<2>"] });
    expect(decodePart(token, 1)).toBe('{"aud":["https://a.example/?x=1\\u0026y=\\u003c2\\u003e"]}');
  });

  it.each([
    ["RS256", "sha256", 256],
    ["ES256", "sha256", 64],
    ["ES384", "sha384", 96],
    ["ES512", "sha512", 132],
  ] as const)(
    "%s: the signature verifies with node:crypto (JOSE r||s, %s) and is %i bytes",
    (alg, hash, size) => {
      const key = keys[alg];
      const token = signToken(key, claims);
      const [h, p, s] = token.split(".") as [string, string, string];
      const signature = Buffer.from(s, "base64url");
      expect(signature).toHaveLength(size);
      const data = Buffer.from(`${h}.${p}`);
      const ok =
        alg === "RS256"
          ? verify(hash, data, key.publicKey, signature)
          : verify(hash, data, { key: key.publicKey, dsaEncoding: "ieee-p1363" }, signature);
      expect(ok).toBe(true);
    },
  );

  it.each(["RS256", "ES256", "ES384", "ES512"] as const)(
    "%s: jose (an independent verifier) accepts the token",
    async (alg) => {
      const token = signToken(keys[alg], claims);
      const { protectedHeader } = await compactVerify(token, keys[alg].publicKey);
      expect(protectedHeader).toEqual({ alg, kid: keys[alg].kid });
      const { payload } = await jwtVerify(token, keys[alg].publicKey, {
        issuer: "https://issuer.example.com",
        audience: "api",
        currentDate: new Date((NOW + 10) * 1000),
      });
      expect(payload.sub).toBe("system:serviceaccount:myns:mysvcacct");
    },
  );
});

describe("randomJti", () => {
  it("is a fresh UUID v4", () => {
    const a = randomJti();
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(randomJti()).not.toBe(a);
  });
});
