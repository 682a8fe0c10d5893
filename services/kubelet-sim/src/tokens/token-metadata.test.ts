import { generateSigningKey, signToken } from "@tokenplane/crypto";
import { describe, expect, it } from "vitest";
import type { TokenRequestLike, TokenSpec } from "./refresh-rules.js";
import {
  adoptToken,
  decodeTokenMetadata,
  encodeTokenMetadata,
  tokenIdentity,
  tokenRecord,
} from "./token-metadata.js";

const key = generateSigningKey("ES256");
const T0 = Date.UTC(2024, 0, 1);
const iat = T0 / 1000;
const jwt = (claims: object) =>
  signToken(key, { iss: "https://issuer", sub: "system:serviceaccount:ns:default", ...claims });

const spec: TokenSpec = {
  expirationSeconds: 3607,
  boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "p", uid: "u1" },
};
const answer = (token: string): TokenRequestLike => ({
  spec: { ...spec, audiences: ["https://issuer"] },
  status: { token, expirationTimestamp: T0 + 3607_000 },
});

describe("token metadata", () => {
  const token = jwt({ iat, exp: iat + 31_536_000, jti: "j-1" });
  const record = tokenRecord("token", "ns", "default", spec, answer(token))!;

  it("records the request, the answer and the token's identity, never the token", () => {
    expect(record).toEqual({
      path: "token",
      namespace: "ns",
      serviceAccountName: "default",
      request: spec,
      answer: { ...spec, audiences: ["https://issuer"] },
      expirationTimestamp: T0 + 3607_000,
      jti: "j-1",
      iat,
    });
    const text = encodeTokenMetadata([record]);
    expect(text).not.toContain(token);
    expect(decodeTokenMetadata(text)).toEqual({ value: { version: 1, tokens: [record] } });
  });

  it("keeps nil audiences apart from empty ones", () => {
    const withEmpty = { ...record, request: { ...spec, audiences: [] } };
    const decoded = decodeTokenMetadata(encodeTokenMetadata([withEmpty, record]));
    expect("value" in decoded && decoded.value.tokens.map((t) => t.request.audiences)).toEqual([
      [],
      undefined,
    ]);
  });

  it.each([
    ["not json", "not JSON"],
    ['{"version":2,"tokens":[]}', "unknown version 2"],
    ['{"version":1,"tokens":{}}', "tokens is not a list"],
    ['{"version":1,"tokens":[{"path":"token"}]}', "malformed token record"],
  ])("refuses %s", (text, error) => {
    expect(decodeTokenMetadata(text)).toEqual({ error });
  });

  it("reads jti and iat without verifying", () => {
    expect(tokenIdentity(token)).toEqual({ jti: "j-1", iat });
    expect(tokenIdentity(`${token}\n`)).toEqual({ jti: "j-1", iat });
    expect(tokenIdentity("garbage")).toBeUndefined();
    expect(tokenIdentity(jwt({ jti: "x" }))).toBeUndefined();
  });

  describe("adoptToken", () => {
    const wanted = { namespace: "ns", serviceAccountName: "default", spec };
    it("adopts the recorded token with the server's expirationTimestamp", () => {
      expect(adoptToken(record, token, wanted, T0 + 1000)).toEqual({ request: answer(token) });
    });
    it.each([
      ["another token", () => jwt({ iat, jti: "j-2" }), wanted, T0, "different-token"],
      ["not a JWT", () => "hello", wanted, T0, "not-a-jwt"],
      [
        "a different request",
        () => token,
        { ...wanted, spec: { ...spec, expirationSeconds: 600 } },
        T0,
        "different-request",
      ],
      [
        "another pod",
        () => token,
        { ...wanted, spec: { ...spec, boundObjectRef: { ...spec.boundObjectRef!, uid: "u2" } } },
        T0,
        "different-request",
      ],
      ["an expired token", () => token, wanted, T0 + 3607_001, "expired"],
    ])("refuses %s", (_what, onDisk, want, now, refused) => {
      expect(adoptToken(record, onDisk(), want, now)).toEqual({ refused });
    });
  });
});
