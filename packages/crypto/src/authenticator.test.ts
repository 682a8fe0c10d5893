import { describe, expect, it } from "vitest";
import { type AuthenticateResult, createJwtAuthenticator } from "./authenticator.js";
import { KeySet } from "./key-set.js";
import { generateSigningKey, type SigningKey } from "./keys.js";
import { signToken } from "./sign.js";
import { signHs256, signWithHeader, unsecured } from "./testdata/fakes.js";
import type { TokenValidator } from "./validation.js";

const ISSUER = "https://issuer.example.com";
const rsa = generateSigningKey("RS256");
const ec256 = generateSigningKey("ES256");
const ec384 = generateSigningKey("ES384");
const ec521 = generateSigningKey("ES512");
const otherRsa = generateSigningKey("RS256");
const otherEc = generateSigningKey("ES256");

// Accepts everything: isolates the authenticator's own steps (1–6, 8).
const acceptAll: TokenValidator<null> = {
  decodePrivateClaims: () => ({ ok: true, value: null }),
  validate: async ({ claims }) => ({
    ok: true,
    info: { namespace: "test", name: claims.sub, uid: "uid" },
    warnings: [],
    auditAnnotations: {},
  }),
};

function authenticator(keys: SigningKey[], implicitAudiences = ["api"], issuers = [ISSUER, "bar"]) {
  return createJwtAuthenticator({ issuers, keys: new KeySet(keys), implicitAudiences, validator: acceptAll });
}

const payload = (extra: object = {}) => ({
  iss: ISSUER,
  sub: "system:serviceaccount:test:sa",
  aud: ["api"],
  ...extra,
});

const notMine = (result: AuthenticateResult) => !result.ok && result.error === undefined;
const errorOf = (result: AuthenticateResult) =>
  result.ok || result.error === undefined ? undefined : result.error;

describe("authenticator: not mine (reference §1.4 steps 1–2)", () => {
  const auth = authenticator([rsa, ec256]);
  const good = signToken(rsa, payload());
  const [h, p, s] = good.split(".") as [string, string, string];
  // Standard base64 with "==" padding: make the JSON length ≡ 1 (mod 3).
  let filler = "";
  while (JSON.stringify(payload({ x: filler })).length % 3 !== 1) filler += "a";
  const padded = Buffer.from(JSON.stringify(payload({ x: filler }))).toString("base64");
  const paddedToken = signWithHeader(rsa, { alg: "RS256", kid: rsa.kid }, payload({ pad: "xx" })).split(".");
  const withPadding = `${paddedToken[0]}.${paddedToken[1]}==.${paddedToken[2]}`;

  it.each([
    ["a non-JWT string", "foobar"],
    ["an empty string", ""],
    ["two parts", `${h}.${p}`],
    ["four parts", `${good}.x`],
    ["a JSON-serialized JWS", JSON.stringify({ payload: p, protected: h, signature: s })],
    ["a JSON-serialized JWS with leading space", `  {"payload":"${p}"}`],
    ["a padded payload", withPadding],
    ["standard base64 payload", `${h}.${padded}.${s}`],
    ["a payload that is not JSON", `${h}.${Buffer.from("nope").toString("base64url")}.${s}`],
    ["a payload that is a JSON array", `${h}.${Buffer.from("[1]").toString("base64url")}.${s}`],
    ["another issuer (foo)", signToken(rsa, payload({ iss: "foo" }))],
    ["a numeric issuer", signWithHeader(rsa, { alg: "RS256" }, payload({ iss: 5 }))],
    ["no issuer", signWithHeader(rsa, { alg: "RS256" }, { sub: "x" })],
    ["a header that is not JSON", `${Buffer.from("{x").toString("base64url")}.${p}.${s}`],
    ["a non-string kid", signWithHeader(rsa, { alg: "RS256", kid: 7 }, payload())],
    ["a crit header", signWithHeader(rsa, { alg: "RS256", crit: ["exp"], exp: 1 }, payload())],
    ["a signature that is not base64url", `${h}.${p}.${s}=`],
  ])("%s", async (_name, token) => {
    expect(notMine(await auth.authenticate(token))).toBe(true);
  });
});

describe("authenticator: signatures (reference §1.4 steps 3–4)", () => {
  it.each([
    ["RS256", rsa],
    ["ES256", ec256],
    ["ES384", ec384],
    ["ES512", ec521],
  ])("accepts %s tokens", async (_alg, key) => {
    const result = await authenticator([rsa, ec256, ec384, ec521]).authenticate(signToken(key, payload()));
    expect(result.ok).toBe(true);
  });

  it("tries every key for a token without kid: rotated keys, the right one third", async () => {
    const token = signWithHeader(rsa, { alg: "RS256" }, payload());
    const result = await authenticator([otherRsa, otherEc, rsa]).authenticate(token);
    expect(result.ok).toBe(true);
  });

  it("tries only the kid's keys: a kid that matches no key fails even if another key would verify", async () => {
    const token = signWithHeader(rsa, { alg: "RS256", kid: "no-such-kid" }, payload());
    const error = errorOf(await authenticator([rsa]).authenticate(token));
    expect([error?.code, error?.message]).toEqual(["ERR_TOKEN_NO_KEYS", "invalid signature, no keys found"]);
  });

  it("rejects a token signed by an unknown key (its kid matches nothing)", async () => {
    const error = errorOf(await authenticator([rsa, ec256]).authenticate(signToken(otherRsa, payload())));
    expect(error?.message).toBe("invalid signature, no keys found");
  });

  it("rejects wrong keys for a token without kid with the de-duplicated aggregate", async () => {
    const token = signWithHeader(otherRsa, { alg: "RS256" }, payload());
    const error = errorOf(await authenticator([rsa, generateSigningKey("RS256")]).authenticate(token));
    expect([error?.code, error?.message]).toEqual([
      "ERR_TOKEN_INVALID_SIGNATURE",
      "go-jose/go-jose: error in cryptographic primitive",
    ]);
  });

  it("aggregates different per-key errors in key order", async () => {
    const token = signWithHeader(otherRsa, { alg: "RS256" }, payload());
    const error = errorOf(await authenticator([ec256, rsa]).authenticate(token));
    expect(error?.message).toBe(
      "[go-jose/go-jose: unknown/unsupported algorithm, go-jose/go-jose: error in cryptographic primitive]",
    );
  });

  it("rejects a tampered payload", async () => {
    const [h, , s] = signToken(rsa, payload()).split(".");
    const forged = Buffer.from(
      JSON.stringify(payload({ sub: "system:serviceaccount:kube-system:admin" })),
    ).toString("base64url");
    const error = errorOf(await authenticator([rsa]).authenticate(`${h}.${forged}.${s}`));
    expect(error?.message).toBe("go-jose/go-jose: error in cryptographic primitive");
  });

  it.each([
    [
      "alg none, RSA key",
      [rsa],
      unsecured({ alg: "none", kid: rsa.kid }, payload()),
      "go-jose/go-jose: unknown/unsupported algorithm",
    ],
    [
      "alg none, EC key",
      [ec256],
      unsecured({ alg: "none" }, payload()),
      "go-jose/go-jose: unknown/unsupported algorithm",
    ],
    [
      "HS256 with the public key as HMAC secret",
      [rsa],
      signHs256(rsa.spkiDer, { alg: "HS256", kid: rsa.kid }, payload()),
      "go-jose/go-jose: unknown/unsupported algorithm",
    ],
    [
      "RS256 header on an EC key",
      [ec256],
      signWithHeader(rsa, { alg: "RS256", kid: ec256.kid }, payload()),
      "go-jose/go-jose: unknown/unsupported algorithm",
    ],
    [
      "ES384 header and signature on a P-256 key",
      [ec256],
      signWithHeader(ec384, { alg: "ES384", kid: ec256.kid }, payload()),
      "go-jose/go-jose: error in cryptographic primitive",
    ],
    [
      "ES256 header with a P-384 signature",
      [ec256],
      signWithHeader(ec384, { alg: "ES256", kid: ec256.kid }, payload()),
      "go-jose/go-jose: invalid signature size, have 96 bytes, wanted 64",
    ],
    [
      "ES256 header on an RSA key",
      [rsa],
      signWithHeader(ec256, { alg: "ES256", kid: rsa.kid }, payload()),
      "go-jose/go-jose: unknown/unsupported algorithm",
    ],
    [
      "no alg",
      [rsa],
      signWithHeader(rsa, { kid: rsa.kid }, payload()),
      "go-jose/go-jose: unknown/unsupported algorithm",
    ],
  ])("rejects %s", async (_name, keys, token, message) => {
    const error = errorOf(await authenticator(keys).authenticate(token));
    expect([error?.code, error?.message]).toEqual(["ERR_TOKEN_INVALID_SIGNATURE", message]);
  });

  it("reads keys through a getter on every call (rotation)", async () => {
    let current = new KeySet([otherRsa]);
    const auth = createJwtAuthenticator({
      issuers: [ISSUER],
      keys: () => current,
      implicitAudiences: ["api"],
      validator: acceptAll,
    });
    const token = signToken(rsa, payload());
    expect(errorOf(await auth.authenticate(token))?.code).toBe("ERR_TOKEN_NO_KEYS");
    current = new KeySet([otherRsa, rsa]);
    expect((await auth.authenticate(token)).ok).toBe(true);
  });
});

describe("authenticator: claims decoding (reference §1.4 step 4)", () => {
  it.each([
    [
      "exp as a string",
      { exp: "soon" },
      "go-jose/go-jose/jwt: expected number value to unmarshal NumericDate",
    ],
    [
      "aud as a number",
      { aud: 5 },
      "go-jose/go-jose/jwt: expected string or array value to unmarshal to Audience",
    ],
    [
      "aud as null",
      { aud: null },
      "go-jose/go-jose/jwt: expected string or array value to unmarshal to Audience",
    ],
    [
      "aud with a number inside",
      { aud: ["api", 1] },
      "go-jose/go-jose/jwt: expected string or array value to unmarshal to Audience",
    ],
    [
      "sub as a number",
      { sub: 5 },
      "json: cannot unmarshal number into Go struct field Claims.sub of type string",
    ],
    [
      "jti as an object",
      { jti: {} },
      "json: cannot unmarshal object into Go struct field Claims.jti of type string",
    ],
  ])("rejects %s", async (_name, extra, message) => {
    const error = errorOf(await authenticator([rsa]).authenticate(signToken(rsa, payload(extra))));
    expect([error?.code, error?.message]).toEqual(["ERR_TOKEN_CLAIMS", message]);
  });

  it("accepts a single string aud like a one-element list", async () => {
    const result = await authenticator([rsa]).authenticate(signToken(rsa, payload({ aud: "api" })));
    expect(result.ok && result.audiences).toEqual(["api"]);
  });

  it("lists the claim error after the other keys' signature errors", async () => {
    const token = signWithHeader(rsa, { alg: "RS256" }, payload({ exp: "soon" }));
    const error = errorOf(await authenticator([otherRsa, rsa]).authenticate(token));
    expect(error?.message).toBe(
      "[go-jose/go-jose: error in cryptographic primitive, go-jose/go-jose/jwt: expected number value to unmarshal NumericDate]",
    );
  });
});

describe("authenticator: audiences (reference §1.4 step 6)", () => {
  it.each<[string, string[] | undefined, string[], string[] | undefined, string[], string | undefined]>([
    [
      "token aud ∩ requested, in requested order",
      ["a", "b", "c"],
      ["api"],
      ["c", "x", "a"],
      ["c", "a"],
      undefined,
    ],
    ["no requested → implicit audiences", ["api", "other"], ["api"], undefined, ["api"], undefined],
    ["empty requested → implicit audiences", ["api"], ["api"], [], ["api"], undefined],
    [
      "no overlap → error in Go %q slice format",
      ["not-the-api"],
      ["api"],
      undefined,
      [],
      'token audiences ["not-the-api"] is invalid for the target audiences ["api"]',
    ],
    [
      "several audiences in the error",
      ["a", "b"],
      ["api"],
      ["x", "y"],
      [],
      'token audiences ["a" "b"] is invalid for the target audiences ["x" "y"]',
    ],
    [
      "no aud → implicit audiences (legacy semantics)",
      undefined,
      ["api", "api2"],
      ["api2"],
      ["api2"],
      undefined,
    ],
    [
      "no aud and a foreign requested audience",
      undefined,
      ["api"],
      ["other"],
      [],
      'token audiences ["api"] is invalid for the target audiences ["other"]',
    ],
    ["no implicit audiences: an empty intersection is allowed", ["a"], [], ["b"], [], undefined],
  ])("%s", async (_name, aud, implicit, requested, want, message) => {
    const claims = aud === undefined ? { iss: ISSUER, sub: "s" } : payload({ aud });
    const result = await authenticator([ec256], implicit).authenticate(signToken(ec256, claims), requested);
    if (message === undefined) {
      expect(result.ok && result.audiences).toEqual(want);
    } else {
      expect([errorOf(result)?.code, errorOf(result)?.message]).toEqual(["ERR_TOKEN_AUDIENCE", message]);
    }
  });

  it("annotates tokens without aud as legacy, also when the audience check then fails", async () => {
    const token = signToken(ec256, { iss: ISSUER, sub: "system:serviceaccount:test:sa" });
    const ok = await authenticator([ec256]).authenticate(token);
    expect(ok.ok && ok.auditAnnotations).toEqual({
      "authentication.k8s.io/legacy-token": "system:serviceaccount:test:sa",
    });
    const failed = await authenticator([ec256]).authenticate(token, ["other"]);
    expect(!failed.ok && failed.error !== undefined && failed.auditAnnotations).toEqual({
      "authentication.k8s.io/legacy-token": "system:serviceaccount:test:sa",
    });
  });
});
