import { describe, expect, it } from "vitest";
import { type BoundClaimsInput, boundClaims } from "./claims.js";
import { CryptoError } from "./errors.js";

// claims_test.go TestClaims (reference §1.9): now = 2018-01-01T00:00:00Z, jti stubbed "fixed".
const NOW = 1514764800;
const sa = { namespace: "myns", name: "mysvcacct", uid: "mysvcacct-uid" };
const pod = { name: "mypod", uid: "mypod-uid" };
const secret = { name: "mysecret", uid: "mysecret-uid" };
const node = { name: "mynode", uid: "mynode-uid" };
const base: BoundClaimsInput = {
  issuer: "https://issuer.example.com",
  audiences: [],
  serviceAccount: sa,
  expirationSeconds: 100,
  now: NOW,
  jti: "fixed",
};
const std = {
  iss: "https://issuer.example.com",
  sub: "system:serviceaccount:myns:mysvcacct",
  iat: NOW,
  nbf: NOW,
  jti: "fixed",
};
const saClaims = { namespace: "myns", serviceaccount: { name: "mysvcacct", uid: "mysvcacct-uid" } };

describe("boundClaims", () => {
  it.each<[string, Partial<BoundClaimsInput>, object]>([
    [
      "pod, empty audience, exp 100",
      { pod, audiences: [], expirationSeconds: 100 },
      { ...std, exp: NOW + 100, "kubernetes.io": { ...saClaims, pod } },
    ],
    [
      "secret, single audience",
      { secret, audiences: ["1"] },
      { ...std, aud: ["1"], exp: NOW + 100, "kubernetes.io": { ...saClaims, secret } },
    ],
    [
      "no binding, two audiences",
      { audiences: ["1", "2"] },
      { ...std, aud: ["1", "2"], exp: NOW + 100, "kubernetes.io": saClaims },
    ],
    [
      "warnafter 3600 with exp 86400",
      { pod, expirationSeconds: 86400, warnafterSeconds: 3600 },
      { ...std, exp: NOW + 86400, "kubernetes.io": { ...saClaims, pod, warnafter: 1514768400 } },
    ],
    ["node alone", { node }, { ...std, exp: NOW + 100, "kubernetes.io": { ...saClaims, node } }],
    ["pod with node", { pod, node }, { ...std, exp: NOW + 100, "kubernetes.io": { ...saClaims, pod, node } }],
    [
      "pod with a node whose object is missing (no uid)",
      { pod, node: { name: "mynode" } },
      { ...std, exp: NOW + 100, "kubernetes.io": { ...saClaims, pod, node: { name: "mynode" } } },
    ],
    ["exp 0 gives exp = now", { expirationSeconds: 0 }, { ...std, exp: NOW, "kubernetes.io": saClaims }],
    [
      "warnafter 0 is omitted, fractional now truncated",
      { now: NOW + 0.9, warnafterSeconds: 0 },
      { ...std, exp: NOW + 100, "kubernetes.io": saClaims },
    ],
    [
      "empty jti and issuer are omitted",
      { jti: "", issuer: "" },
      { sub: std.sub, iat: NOW, nbf: NOW, exp: NOW + 100, "kubernetes.io": saClaims },
    ],
    [
      "empty uids are omitted (omitempty)",
      { serviceAccount: { namespace: "", name: "x", uid: "" }, pod: { name: "p", uid: "" } },
      {
        ...std,
        sub: "system:serviceaccount::x",
        exp: NOW + 100,
        "kubernetes.io": { serviceaccount: { name: "x" }, pod: { name: "p" } },
      },
    ],
  ])("%s", (_name, input, want) => {
    expect(boundClaims({ ...base, ...input })).toStrictEqual(want);
  });

  it.each([
    ["pod and secret", { pod, secret }],
    ["node and secret", { node, secret }],
    ["pod, node and secret", { pod, node, secret }],
  ])("rejects %s: a token can only be bound to one object type", (_name, input) => {
    expect(() => boundClaims({ ...base, ...input })).toThrow(
      new CryptoError("ERR_CLAIMS_BINDING", "internal error, token can only be bound to one object type"),
    );
    try {
      boundClaims({ ...base, ...input });
    } catch (error) {
      expect((error as CryptoError).code).toBe("ERR_CLAIMS_BINDING");
    }
  });

  it("copies the audience list", () => {
    const audiences = ["a"];
    const claims = boundClaims({ ...base, audiences });
    audiences.push("b");
    expect(claims.aud).toEqual(["a"]);
  });

  it.each([
    ["fractional expirationSeconds", { expirationSeconds: 1.5 }],
    ["NaN now", { now: Number.NaN }],
    ["fractional warnafterSeconds", { warnafterSeconds: 0.5 }],
  ])("throws TypeError for %s", (_name, input) => {
    expect(() => boundClaims({ ...base, ...input })).toThrow(TypeError);
  });
});
