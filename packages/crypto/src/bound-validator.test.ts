import { describe, expect, it } from "vitest";
import { type BoundPrivateClaims, createBoundValidator } from "./bound-validator.js";
import type { StandardClaims } from "./standard-claims.js";
import { type FakeObjects, fakeGetter } from "./testdata/fakes.js";
import type { ValidationResult } from "./validation.js";

// claims_test.go TestValidatePrivateClaims (reference §1.9).
const NOW = 1514764800;
const NOW_MS = NOW * 1000;
const serviceAccount = { uid: "sauid" };
const secret = { uid: "secretuid" };
const pod = { uid: "poduid" };
const node = { uid: "nodeuid" };
const saClaims: BoundPrivateClaims = { namespace: "ns", serviceAccount: { name: "saname", uid: "sauid" } };
const std: StandardClaims = { iss: "", sub: "system:serviceaccount:ns:saname", aud: [], exp: NOW, jti: "" };

async function run(
  objects: FakeObjects,
  privateClaims: BoundPrivateClaims,
  claims: Partial<StandardClaims> = {},
  nowMs = NOW_MS,
): Promise<ValidationResult> {
  const validator = createBoundValidator({ getter: fakeGetter(objects), now: () => nowMs });
  return validator.validate({ token: "", claims: { ...std, ...claims }, privateClaims });
}

function errorOf(result: ValidationResult): string {
  return result.ok ? "" : result.error.message;
}

const withSA = { serviceAccounts: { "ns/saname": serviceAccount } };

describe("bound validator: TestValidatePrivateClaims", () => {
  it.each<[string, FakeObjects, BoundPrivateClaims, Partial<StandardClaims>, string]>([
    ["good", withSA, saClaims, {}, ""],
    ["expired", withSA, saClaims, { exp: NOW - 1000 * 3600 }, "service account token has expired"],
    ["not yet valid", withSA, saClaims, { nbf: NOW + 1000 * 3600 }, "service account token is not valid yet"],
    [
      "issued in the future",
      withSA,
      saClaims,
      { iat: NOW + 1000 * 3600 },
      "service account token is issued in the future",
    ],
    ["missing serviceaccount", {}, saClaims, {}, 'serviceaccounts "saname" not found'],
    [
      "missing secret",
      withSA,
      { ...saClaims, secret: { name: "secretname", uid: "secretuid" } },
      {},
      "service account token has been invalidated",
    ],
    [
      "missing pod",
      withSA,
      { ...saClaims, pod: { name: "podname", uid: "poduid" } },
      {},
      "service account token has been invalidated",
    ],
    [
      "missing node",
      withSA,
      { ...saClaims, node: { name: "nodename", uid: "nodeuid" } },
      {},
      "service account token has been invalidated",
    ],
    [
      "different uid serviceaccount",
      withSA,
      { ...saClaims, serviceAccount: { name: "saname", uid: "sauidold" } },
      {},
      "service account UID (sauid) does not match claim (sauidold)",
    ],
    [
      "different uid secret",
      { ...withSA, secrets: { "ns/secretname": secret } },
      { ...saClaims, secret: { name: "secretname", uid: "secretuidold" } },
      {},
      "secret UID (secretuid) does not match service account secret ref claim (secretuidold)",
    ],
    [
      "different uid pod",
      { ...withSA, pods: { "ns/podname": pod } },
      { ...saClaims, pod: { name: "podname", uid: "poduidold" } },
      {},
      "pod UID (poduid) does not match service account pod ref claim (poduidold)",
    ],
    [
      "different uid node",
      { ...withSA, nodes: { nodename: node } },
      { ...saClaims, node: { name: "nodename", uid: "nodeuidold" } },
      {},
      "node UID (nodeuid) does not match service account node ref claim (nodeuidold)",
    ],
    [
      "uid checked before deletion [new order]",
      { serviceAccounts: { "ns/saname": { uid: "sauid", deletionTimestamp: NOW_MS - 3600_000 } } },
      { ...saClaims, serviceAccount: { name: "saname", uid: "other" } },
      {},
      "service account UID (sauid) does not match claim (other)",
    ],
    [
      "time checks come before the lookup",
      {},
      saClaims,
      { exp: NOW - 3600 },
      "service account token has expired",
    ],
    [
      "nbf is checked before exp",
      withSA,
      saClaims,
      { exp: NOW - 3600, nbf: NOW + 3600 },
      "service account token is not valid yet",
    ],
  ])("%s", async (_name, objects, privateClaims, claims, want) => {
    expect(errorOf(await run(objects, privateClaims, claims))).toBe(want);
  });

  const noExp: StandardClaims = { iss: "", sub: std.sub, aud: [], jti: "" };
  it.each<[string, StandardClaims, string]>([
    ["exp = now − 60 s is still valid (leeway)", { ...std, exp: NOW - 60 }, ""],
    ["exp = now − 61 s is expired", { ...std, exp: NOW - 61 }, "service account token has expired"],
    ["nbf = now + 60 s is valid", { ...std, nbf: NOW + 60 }, ""],
    [
      "nbf = now + 61 s is not valid yet",
      { ...std, nbf: NOW + 61 },
      "service account token is not valid yet",
    ],
    ["iat = now + 60 s is valid", { ...std, iat: NOW + 60 }, ""],
    [
      "iat = now + 61 s is in the future",
      { ...std, iat: NOW + 61 },
      "service account token is issued in the future",
    ],
    ["no exp at all is never expired", noExp, ""],
  ])("leeway: %s", async (_name, claims, want) => {
    const validator = createBoundValidator({ getter: fakeGetter(withSA), now: () => NOW_MS });
    expect(errorOf(await validator.validate({ token: "", claims, privateClaims: saClaims }))).toBe(want);
  });
});

describe("bound validator: 60 s deletion grace (reference §1.5)", () => {
  const cases: [string, number | undefined, boolean][] = [
    ["not deleted", undefined, true],
    ["deleted now", NOW_MS, true],
    ["deleted near past", NOW_MS - 1000, true],
    ["deleted near future", NOW_MS + 1000, true],
    ["deleted now-leeway", NOW_MS - 60_000, true],
    ["deleted now-leeway-1", NOW_MS - 61_000, false],
  ];
  const deleted = (at: number | undefined, uid: string) =>
    at === undefined ? { uid } : { uid, deletionTimestamp: at };

  it.each(cases)("serviceaccount %s", async (_name, at, valid) => {
    const result = await run({ serviceAccounts: { "ns/saname": deleted(at, "sauid") } }, saClaims);
    expect(errorOf(result)).toBe(valid ? "" : "service account ns/saname has been deleted");
  });

  it.each(cases)("secret %s", async (_name, at, valid) => {
    const result = await run(
      { ...withSA, secrets: { "ns/secretname": deleted(at, "secretuid") } },
      { ...saClaims, secret: { name: "secretname", uid: "secretuid" } },
    );
    expect(errorOf(result)).toBe(valid ? "" : "service account token has been invalidated");
  });

  it.each(cases)("pod %s", async (_name, at, valid) => {
    const result = await run(
      { ...withSA, pods: { "ns/podname": deleted(at, "poduid") } },
      { ...saClaims, pod: { name: "podname", uid: "poduid" } },
    );
    expect(errorOf(result)).toBe(valid ? "" : "service account token has been invalidated");
  });

  it.each(cases)("node %s", async (_name, at, valid) => {
    const result = await run(
      { ...withSA, nodes: { nodename: deleted(at, "nodeuid") } },
      { ...saClaims, node: { name: "nodename", uid: "nodeuid" } },
    );
    expect(errorOf(result)).toBe(valid ? "" : "service account token has been invalidated");
  });

  it("an error carries a stable code", async () => {
    const result = await run(
      { serviceAccounts: { "ns/saname": deleted(NOW_MS - 61_000, "sauid") } },
      saClaims,
    );
    expect(result.ok ? "" : result.error.code).toBe("ERR_TOKEN_DELETED");
  });
});

describe("bound validator: result", () => {
  it("returns the claims' identity with pod, node and credential id", async () => {
    const getter = fakeGetter({ ...withSA, pods: { "ns/podname": pod } });
    const validator = createBoundValidator({ getter, now: () => NOW_MS });
    const result = await validator.validate({
      token: "",
      claims: { ...std, jti: "abc" },
      privateClaims: { ...saClaims, pod: { name: "podname", uid: "poduid" }, node: { name: "n1", uid: "" } },
    });
    expect(result).toStrictEqual({
      ok: true,
      info: {
        namespace: "ns",
        name: "saname",
        uid: "sauid",
        podName: "podname",
        podUID: "poduid",
        nodeName: "n1",
        nodeUID: "",
        credentialId: "JTI=abc",
      },
      warnings: [],
      auditAnnotations: {},
    });
    // A node next to a pod is informational: never looked up (reference §1.5 step 5).
    expect(getter.calls).toEqual(["serviceaccounts ns/saname", "pods ns/podname"]);
  });

  it("looks up a node-bound token's node and reports it", async () => {
    const getter = fakeGetter({ ...withSA, nodes: { nodename: node } });
    const validator = createBoundValidator({ getter, now: () => NOW_MS });
    const result = await validator.validate({
      token: "",
      claims: std,
      privateClaims: { ...saClaims, node: { name: "nodename", uid: "nodeuid" } },
    });
    expect(result.ok && result.info).toStrictEqual({
      namespace: "ns",
      name: "saname",
      uid: "sauid",
      nodeName: "nodename",
      nodeUID: "nodeuid",
    });
    expect(getter.calls).toEqual(["serviceaccounts ns/saname", "nodes nodename"]);
  });

  it.each<[string, number | undefined, number, Record<string, string>]>([
    [
      "past warnafter → stale-token annotation",
      NOW - 100,
      NOW_MS + 500,
      {
        "authentication.k8s.io/stale-token":
          "subject: system:serviceaccount:ns:saname, seconds after warning threshold: 100",
      },
    ],
    ["exactly at warnafter → nothing", NOW, NOW_MS, {}],
    ["before warnafter → nothing", NOW + 10, NOW_MS, {}],
    ["warnafter 0 → nothing", 0, NOW_MS, {}],
    ["no warnafter → nothing", undefined, NOW_MS, {}],
  ])("%s, never a rejection", async (_name, warnafter, nowMs, annotations) => {
    const privateClaims = warnafter === undefined ? saClaims : { ...saClaims, warnafter };
    const result = await run(withSA, privateClaims, { exp: NOW + 3600 }, nowMs);
    expect(result.ok).toBe(true);
    expect(result.auditAnnotations).toStrictEqual(annotations);
  });
});

describe("bound validator: decodePrivateClaims", () => {
  const validator = createBoundValidator({ getter: fakeGetter({}) });
  it.each<[string, Record<string, unknown>, unknown]>([
    [
      "absent kubernetes.io → zero values",
      {},
      { ok: true, value: { namespace: "", serviceAccount: { name: "", uid: "" } } },
    ],
    [
      "full",
      {
        "kubernetes.io": {
          namespace: "ns",
          serviceaccount: { name: "sa", uid: "u" },
          pod: { name: "p", uid: "pu" },
          node: { name: "n" },
          warnafter: 1514768400.7,
        },
      },
      {
        ok: true,
        value: {
          namespace: "ns",
          serviceAccount: { name: "sa", uid: "u" },
          pod: { name: "p", uid: "pu" },
          node: { name: "n", uid: "" },
          warnafter: 1514768400,
        },
      },
    ],
    [
      "kubernetes.io of the wrong type",
      { "kubernetes.io": "x" },
      {
        ok: false,
        error:
          "json: cannot unmarshal string into Go struct field privateClaims.kubernetes.io of type serviceaccount.kubernetes",
      },
    ],
    [
      "a ref member of the wrong type",
      { "kubernetes.io": { serviceaccount: { name: 1 } } },
      {
        ok: false,
        error:
          "json: cannot unmarshal number into Go struct field ref.kubernetes.io.serviceaccount.name of type string",
      },
    ],
    [
      "warnafter not a number",
      { "kubernetes.io": { warnafter: "soon" } },
      { ok: false, error: "go-jose/go-jose/jwt: expected number value to unmarshal NumericDate" },
    ],
  ])("%s", (_name, payload, want) => {
    expect(validator.decodePrivateClaims(payload)).toStrictEqual(want);
  });
});
