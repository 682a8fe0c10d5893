import { describe, expect, it } from "vitest";
import { KeySet } from "./key-set.js";
import { generateSigningKey } from "./keys.js";
import { signToken } from "./sign.js";
import { decodeStandardClaims } from "./standard-claims.js";
import { signWithHeader } from "./testdata/fakes.js";
import { parseCompactToken, peekIssuer, peekPayload, verifyToken } from "./verify.js";

const key = generateSigningKey("ES256");
const other = generateSigningKey("ES256");

describe("verifyToken", () => {
  const token = signToken(key, { iss: "x", sub: "y" });

  it("returns the verifying key, header and payload", () => {
    const result = verifyToken(token, new KeySet([other, key]));
    expect(result.ok && [result.key.kid, result.header, result.payload]).toEqual([
      key.kid,
      { alg: "ES256", kid: key.kid },
      { iss: "x", sub: "y" },
    ]);
  });

  it.each([
    ["not a JWS", "abc", "ERR_TOKEN_MALFORMED", "token is not a compact JWS"],
    ["JSON serialization", '{"payload":"e30"}', "ERR_TOKEN_MALFORMED", "token is not a compact JWS"],
    ["unknown kid", signToken(other, {}), "ERR_TOKEN_NO_KEYS", "invalid signature, no keys found"],
    [
      "bad signature without kid",
      signWithHeader(other, { alg: "ES256" }, {}),
      "ERR_TOKEN_INVALID_SIGNATURE",
      "go-jose/go-jose: error in cryptographic primitive",
    ],
  ])("%s → %s", (_name, input, code, message) => {
    const result = verifyToken(input, new KeySet([key]));
    expect(result.ok ? undefined : [result.error.code, result.error.message]).toEqual([code, message]);
  });
});

describe("issuer peek", () => {
  it.each<[string, object, string | undefined]>([
    ["plain", { iss: "a" }, "a"],
    ["absent → empty", { sub: "s" }, ""],
    ["null → empty", { iss: null }, ""],
    ["number → not a string", { iss: 1 }, undefined],
    // Go's encoding/json matches field names case-insensitively, last match wins.
    ["case-insensitive key", { ISS: "b" }, "b"],
    ["last matching key wins", { iss: "a", Iss: "c" }, "c"],
  ])("%s", (_name, payload, want) => {
    // signWithHeader keeps the key order as written (signToken would sort it).
    const token = signWithHeader(key, { alg: "ES256" }, payload);
    const decoded = peekPayload(token);
    expect(decoded && peekIssuer(decoded)).toBe(want);
    // The verified decode agrees with the peek, so step 5 of §1.4 sees the same issuer.
    const claims = decoded && decodeStandardClaims(decoded);
    if (want !== undefined) expect(claims?.ok && claims.value.iss).toBe(want);
  });

  it("parseCompactToken exposes alg, kid and the signing input", () => {
    const token = signToken(key, { a: 1 });
    const parsed = parseCompactToken(token);
    expect(parsed && [parsed.alg, parsed.kid, parsed.signingInput, parsed.signature.length]).toEqual([
      "ES256",
      key.kid,
      token.slice(0, token.lastIndexOf(".")),
      64,
    ]);
  });
});
