import { describe, expect, it } from "vitest";
import { createLegacyValidator, type LegacyPrivateClaims } from "./legacy-validator.js";
import type { StandardClaims } from "./standard-claims.js";
import { type FakeObjects, fakeGetter } from "./testdata/fakes.js";
import type { SecretRef, ValidationResult } from "./validation.js";

const NOW_MS = Date.UTC(2024, 0, 15, 23, 59, 30); // 2024-01-15, half a minute before midnight UTC
const TOKEN = "the.legacy.token";
const claims: StandardClaims = {
  iss: "kubernetes/serviceaccount",
  sub: "system:serviceaccount:ns:sa",
  aud: [],
  jti: "",
};
const pc: LegacyPrivateClaims = {
  namespace: "ns",
  secretName: "sa-token",
  serviceAccountName: "sa",
  serviceAccountUID: "sa-uid",
};
const secret: SecretRef = { uid: "secret-uid", token: TOKEN, labels: {} };
const objects: FakeObjects = {
  serviceAccounts: { "ns/sa": { uid: "sa-uid" } },
  secrets: { "ns/sa-token": secret },
};

async function run(
  input: {
    objects?: FakeObjects;
    claims?: Partial<StandardClaims>;
    pc?: Partial<LegacyPrivateClaims>;
    token?: string;
  } = {},
): Promise<ValidationResult> {
  const validator = createLegacyValidator({
    getter: fakeGetter(input.objects ?? objects),
    now: () => NOW_MS,
  });
  return validator.validate({
    token: input.token ?? TOKEN,
    claims: { ...claims, ...input.claims },
    privateClaims: { ...pc, ...input.pc },
  });
}

const errorOf = (result: ValidationResult): string => (result.ok ? "" : result.error.message);

describe("legacy validator: required claims and sub (reference §1.6 steps 1–2)", () => {
  it.each<[string, Partial<StandardClaims>, Partial<LegacyPrivateClaims>, string]>([
    ["missing sub", { sub: "" }, {}, "sub claim is missing"],
    ["missing namespace", {}, { namespace: "" }, "namespace claim is missing"],
    ["missing secret name", {}, { secretName: "" }, "secretName claim is missing"],
    ["missing service account name", {}, { serviceAccountName: "" }, "serviceAccountName claim is missing"],
    ["missing service account uid", {}, { serviceAccountUID: "" }, "serviceAccountUID claim is missing"],
    ["order: sub first", { sub: "" }, { namespace: "", serviceAccountUID: "" }, "sub claim is missing"],
    ["sub for another namespace", { sub: "system:serviceaccount:other:sa" }, {}, "sub claim is invalid"],
    ["sub for another name", { sub: "system:serviceaccount:ns:other" }, {}, "sub claim is invalid"],
    ["sub not a service account", { sub: "alice" }, {}, "sub claim is invalid"],
  ])("%s", async (_name, c, p, want) => {
    expect(errorOf(await run({ claims: c, pc: p }))).toBe(want);
  });
});

describe("legacy validator: lookup (reference §1.6 step 3)", () => {
  const withSecret = (s: Partial<SecretRef>): FakeObjects => ({
    ...objects,
    secrets: { "ns/sa-token": { ...secret, ...s } },
  });
  const withSA = (sa: object): FakeObjects => ({
    ...objects,
    serviceAccounts: { "ns/sa": { uid: "sa-uid", ...sa } },
  });

  it.each<[string, FakeObjects, string, string]>([
    [
      "secret missing",
      { serviceAccounts: objects.serviceAccounts! },
      "Token has been invalidated",
      "ERR_TOKEN_INVALIDATED",
    ],
    [
      "secret being deleted, even in the future (no grace)",
      withSecret({ deletionTimestamp: NOW_MS + 3600_000 }),
      "Token has been invalidated",
      "ERR_TOKEN_INVALIDATED",
    ],
    [
      "token differs",
      withSecret({ token: "another.token.x" }),
      "Token does not match server's copy",
      "ERR_TOKEN_MISMATCH",
    ],
    [
      "token differs in length",
      withSecret({ token: `${TOKEN}x` }),
      "Token does not match server's copy",
      "ERR_TOKEN_MISMATCH",
    ],
    [
      "secret without token",
      withSecret({ token: undefined as never }),
      "Token does not match server's copy",
      "ERR_TOKEN_MISMATCH",
    ],
    [
      "service account missing",
      { secrets: objects.secrets! },
      'serviceaccounts "sa" not found',
      "ERR_TOKEN_LOOKUP",
    ],
    [
      "service account being deleted",
      withSA({ deletionTimestamp: NOW_MS + 1000 }),
      "ServiceAccount ns/sa has been deleted",
      "ERR_TOKEN_DELETED",
    ],
    [
      "service account uid differs",
      withSA({ uid: "new-uid" }),
      "ServiceAccount UID (new-uid) does not match claim (sa-uid)",
      "ERR_TOKEN_UID_MISMATCH",
    ],
  ])("%s", async (_name, objs, message, code) => {
    const result = await run({ objects: objs });
    expect(result.ok).toBe(false);
    expect(result.ok ? undefined : [result.error.message, result.error.code]).toEqual([message, code]);
  });

  it("accepts the token stored as bytes and reports a manual secret", async () => {
    const result = await run({ objects: withSecret({ token: new TextEncoder().encode(TOKEN) }) });
    expect(result).toStrictEqual({
      ok: true,
      info: { namespace: "ns", name: "sa", uid: "sa-uid" },
      warnings: [],
      auditAnnotations: { "authentication.k8s.io/legacy-token-manual-secret": "sa-token" },
      lastUsed: {
        namespace: "ns",
        name: "sa-token",
        uid: "secret-uid",
        date: "2024-01-15",
        mergePatch:
          '{"kind":"Secret","apiVersion":"v1","metadata":{"name":"sa-token","namespace":"ns","uid":"secret-uid",' +
          '"labels":{"kubernetes.io/legacy-token-last-used":"2024-01-15"}}}',
      },
    });
  });

  it("warns about an auto-generated secret (listed in sa.secrets)", async () => {
    const result = await run({ objects: withSA({ secrets: ["other", "sa-token"] }) });
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      "Use tokens from the TokenRequest API or manually created secret-based tokens instead of auto-generated secret-based tokens.",
    ]);
    expect(result.auditAnnotations).toEqual({
      "authentication.k8s.io/legacy-token-autogenerated-secret": "sa-token",
    });
  });

  it("rejects a secret marked invalid, with annotation and last-used update", async () => {
    const result = await run({
      objects: withSecret({ labels: { "kubernetes.io/legacy-token-invalid-since": "2023-12-01" } }),
    });
    expect(result.ok).toBe(false);
    expect(errorOf(result)).toBe(
      "the token in secret ns/sa-token for service account ns/sa has been marked invalid. Use tokens from the " +
        "TokenRequest API or manually created secret-based tokens, or remove the " +
        "'kubernetes.io/legacy-token-invalid-since' label from the secret to temporarily allow use of this token",
    );
    expect(result.ok ? "" : result.error.code).toBe("ERR_TOKEN_MARKED_INVALID");
    expect(result.auditAnnotations).toEqual({
      "authentication.k8s.io/legacy-token-invalidated": "sa-token/ns",
    });
    expect(result.lastUsed?.date).toBe("2024-01-15");
  });

  it("an empty invalid-since label does not count", async () => {
    const result = await run({
      objects: withSecret({ labels: { "kubernetes.io/legacy-token-invalid-since": "" } }),
    });
    expect(result.ok).toBe(true);
  });

  it.each([
    ["label is today → no update", "2024-01-15", undefined],
    ["label is tomorrow → no update", "2024-01-16", undefined],
    ["label is yesterday → update", "2024-01-14", "2024-01-15"],
    ["label is garbage → update", "soon", "2024-01-15"],
  ])("last used: %s", async (_name, label, want) => {
    const result = await run({
      objects: withSecret({ labels: { "kubernetes.io/legacy-token-last-used": label } }),
    });
    expect(result.lastUsed?.date).toBe(want);
  });
});

describe("legacy validator: options", () => {
  it("without lookup checks only the claims and reads nothing", async () => {
    const validator = createLegacyValidator({ lookup: false });
    const result = await validator.validate({ token: "x", claims, privateClaims: pc });
    expect(result).toStrictEqual({
      ok: true,
      info: { namespace: "ns", name: "sa", uid: "sa-uid" },
      warnings: [],
      auditAnnotations: {},
    });
  });

  it("refuses lookup without a getter", () => {
    expect(() => createLegacyValidator({ lookup: true })).toThrow(TypeError);
    expect(() => createLegacyValidator()).toThrow(TypeError);
  });

  it("decodes the private claims, reporting Go type errors", () => {
    const validator = createLegacyValidator({ lookup: false });
    expect(
      validator.decodePrivateClaims({
        "kubernetes.io/serviceaccount/namespace": "ns",
        "kubernetes.io/serviceaccount/secret.name": "s",
        "kubernetes.io/serviceaccount/service-account.name": "sa",
      }),
    ).toStrictEqual({
      ok: true,
      value: { namespace: "ns", secretName: "s", serviceAccountName: "sa", serviceAccountUID: "" },
    });
    expect(validator.decodePrivateClaims({ "kubernetes.io/serviceaccount/namespace": true })).toStrictEqual({
      ok: false,
      error:
        "json: cannot unmarshal bool into Go struct field legacyPrivateClaims.kubernetes.io/serviceaccount/namespace of type string",
    });
  });
});
