import { create } from "@bufbuild/protobuf";
import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import {
  deleteTokenAction,
  deleteTokensActions,
  isServiceAccountToken,
  populateTokenSecret,
  secretUpdateNeeded,
  withoutSecretReference,
} from "./token-secret.js";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));
const CA = enc("-----BEGIN CERTIFICATE-----\nroot\n-----END CERTIFICATE-----\n");

function secret(opts: {
  name?: string;
  type?: string;
  annotations?: Record<string, string>;
  data?: Record<string, string>;
  uid?: string;
}): corev1.Secret {
  return create(corev1.SecretSchema, {
    metadata: {
      name: opts.name ?? "tok",
      namespace: "ns",
      uid: opts.uid ?? "secret-uid",
      resourceVersion: "7",
      annotations: opts.annotations ?? {},
    },
    type: opts.type ?? "kubernetes.io/service-account-token",
    data: Object.fromEntries(Object.entries(opts.data ?? {}).map(([k, v]) => [k, enc(v)])),
  });
}
const sa = create(corev1.ServiceAccountSchema, {
  metadata: { name: "ro", namespace: "ns", uid: "sa-uid" },
  secrets: [{ name: "tok" }, { name: "other" }],
});
const ref = { namespace: "ns", name: "ro", uid: "sa-uid" };

describe("isServiceAccountToken (serviceaccount.IsServiceAccountToken)", () => {
  const cases: Array<[string, corev1.Secret, boolean]> = [
    [
      "type and name match, no uid",
      secret({ annotations: { "kubernetes.io/service-account.name": "ro" } }),
      true,
    ],
    [
      "uid matches",
      secret({
        annotations: {
          "kubernetes.io/service-account.name": "ro",
          "kubernetes.io/service-account.uid": "sa-uid",
        },
      }),
      true,
    ],
    [
      "uid differs",
      secret({
        annotations: {
          "kubernetes.io/service-account.name": "ro",
          "kubernetes.io/service-account.uid": "old",
        },
      }),
      false,
    ],
    ["other service account", secret({ annotations: { "kubernetes.io/service-account.name": "rw" } }), false],
    ["no name annotation", secret({}), false],
    [
      "opaque secret",
      secret({ type: "Opaque", annotations: { "kubernetes.io/service-account.name": "ro" } }),
      false,
    ],
  ];
  for (const [name, s, want] of cases) it(name, () => expect(isServiceAccountToken(s, ref)).toBe(want));
});

describe("secretUpdateNeeded", () => {
  const cases: Array<[string, Record<string, string>, Uint8Array, [boolean, boolean, boolean]]> = [
    ["empty secret", {}, CA, [true, true, true]],
    ["complete", { "ca.crt": dec(CA)!, namespace: "ns", token: "t" }, CA, [false, false, false]],
    ["stale CA", { "ca.crt": "old", namespace: "ns", token: "t" }, CA, [true, false, false]],
    [
      "no root CA configured: ca.crt not managed",
      { namespace: "ns", token: "t" },
      new Uint8Array(),
      [false, false, false],
    ],
    ["empty token value", { "ca.crt": dec(CA)!, namespace: "ns", token: "" }, CA, [false, false, true]],
    ["empty namespace value", { "ca.crt": dec(CA)!, namespace: "", token: "t" }, CA, [false, true, false]],
  ];
  for (const [name, data, rootCA, [needsCA, needsNamespace, needsToken]] of cases) {
    it(name, () => {
      expect(secretUpdateNeeded(secret({ data }), rootCA)).toEqual({ needsCA, needsNamespace, needsToken });
    });
  }
});

describe("populateTokenSecret (generateTokenIfNeeded)", () => {
  const gen = (s: corev1.ServiceAccount, sec: corev1.Secret) =>
    `jwt(${s.metadata?.namespace}/${s.metadata?.name}/${s.metadata?.uid}/${sec.metadata?.name})`;

  it("fills ca.crt, namespace and token and sets both annotations", () => {
    const live = secret({ annotations: { "kubernetes.io/service-account.name": "ro" } });
    const out = populateTokenSecret(live, sa, CA, gen)!;
    expect(Object.fromEntries(Object.entries(out.data).map(([k, v]) => [k, dec(v)]))).toEqual({
      "ca.crt": dec(CA),
      namespace: "ns",
      token: "jwt(ns/ro/sa-uid/tok)",
    });
    expect(out.metadata?.annotations).toEqual({
      "kubernetes.io/service-account.name": "ro",
      "kubernetes.io/service-account.uid": "sa-uid",
    });
    // Same object otherwise: the update carries the live resourceVersion.
    expect(out.metadata?.resourceVersion).toBe("7");
    expect(live.data).toEqual({});
  });

  it("keeps an existing token and replaces only a stale CA", () => {
    const live = secret({
      annotations: {
        "kubernetes.io/service-account.name": "ro",
        "kubernetes.io/service-account.uid": "sa-uid",
      },
      data: { "ca.crt": "old", namespace: "ns", token: "kept", extra: "x" },
    });
    const out = populateTokenSecret(live, sa, CA, () => "never")!;
    expect(dec(out.data.token)).toBe("kept");
    expect(dec(out.data["ca.crt"])).toBe(dec(CA));
    expect(dec(out.data.extra)).toBe("x");
  });

  it("returns undefined when nothing is needed (annotations alone do not trigger a write)", () => {
    const live = secret({
      annotations: { "kubernetes.io/service-account.name": "ro" },
      data: { "ca.crt": dec(CA)!, namespace: "ns", token: "t" },
    });
    expect(populateTokenSecret(live, sa, CA, gen)).toBeUndefined();
  });
});

describe("deleting tokens", () => {
  it("deletes with the uid as precondition, tolerating NotFound and Conflict", () => {
    expect(deleteTokenAction("ns", "tok", "u1")).toEqual({
      verb: "delete",
      resource: "secrets",
      namespace: "ns",
      name: "tok",
      preconditions: { uid: "u1" },
      tolerate: ["NotFound", "Conflict"],
    });
    expect(deleteTokenAction("ns", "tok", "").preconditions).toEqual({});
  });

  it("deletes exactly the tokens of the gone service account", () => {
    const secrets = [
      secret({ name: "a", uid: "ua", annotations: { "kubernetes.io/service-account.name": "ro" } }),
      secret({
        name: "b",
        uid: "ub",
        annotations: {
          "kubernetes.io/service-account.name": "ro",
          "kubernetes.io/service-account.uid": "sa-uid",
        },
      }),
      secret({
        name: "c",
        uid: "uc",
        annotations: {
          "kubernetes.io/service-account.name": "ro",
          "kubernetes.io/service-account.uid": "new",
        },
      }),
      secret({ name: "d", uid: "ud", annotations: { "kubernetes.io/service-account.name": "rw" } }),
      secret({
        name: "e",
        uid: "ue",
        type: "Opaque",
        annotations: { "kubernetes.io/service-account.name": "ro" },
      }),
    ];
    expect(deleteTokensActions(ref, secrets)).toEqual([
      deleteTokenAction("ns", "a", "ua"),
      deleteTokenAction("ns", "b", "ub"),
    ]);
  });
});

describe("withoutSecretReference (removeSecretReference)", () => {
  it("removes the name from secrets[]", () => {
    expect(withoutSecretReference(sa, "sa-uid", "tok")?.secrets.map((s) => s.name)).toEqual(["other"]);
    expect(withoutSecretReference(sa, "", "tok")?.secrets.map((s) => s.name)).toEqual(["other"]);
    expect(sa.secrets.map((s) => s.name)).toEqual(["tok", "other"]);
  });
  it("does nothing for another uid or an unreferenced name", () => {
    expect(withoutSecretReference(sa, "other-uid", "tok")).toBeUndefined();
    expect(withoutSecretReference(sa, "sa-uid", "missing")).toBeUndefined();
  });
});
