// Validation on UPDATE: pods/ephemeralcontainers (reference §3.2) and serviceAccountName immutability.
import { clone, create, equals, type MessageInitShape } from "@bufbuild/protobuf";
import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { admit, validate } from "./admit.js";
import {
  accountStore,
  admissionRequest,
  mirrorPod,
  pod,
  secretEnv,
  secretEnvFrom,
  secretVolume,
  serviceAccount,
  statusErrorOf,
} from "./test-fixtures.js";

describe("validate on UPDATE of pods/ephemeralcontainers (reference §3.2)", () => {
  const enforcing = serviceAccount("sa", {
    metadata: { annotations: { "kubernetes.io/enforce-mountable-secrets": "1" } },
    secrets: [{ name: "ok" }],
  });
  const plain = serviceAccount("plain");
  /** A running pod of account `sa` to which an ephemeral container with `env`/`envFrom` is added. */
  function withDebug(
    sa: string,
    ec: MessageInitShape<typeof corev1.EphemeralContainerCommonSchema>,
  ): corev1.Pod {
    return pod({
      metadata: { name: "p" },
      spec: {
        serviceAccountName: sa,
        // Regular containers, volumes and pull secrets are not re-checked here.
        containers: [{ name: "c", envFrom: [secretEnvFrom("unlisted")] }],
        volumes: [secretVolume("v", "unlisted")],
        imagePullSecrets: [{ name: "unlisted" }],
        ephemeralContainers: [
          { ephemeralContainerCommon: { name: "debug", ...ec }, targetContainerName: "c" },
        ],
      },
    });
  }
  const notReferenced = "is not allowed because service account sa does not reference that secret";
  const cases: Array<{ what: string; p: corev1.Pod; limit?: boolean; message?: string }> = [
    {
      what: "allowed references",
      p: withDebug("sa", { env: [secretEnv("E", "ok")], envFrom: [secretEnvFrom("ok")] }),
    },
    { what: "no secret references", p: withDebug("sa", {}) },
    {
      what: "envVar with an unlisted secret",
      p: withDebug("sa", { env: [secretEnv("TOKEN", "other")] }),
      message: `ephemeral container debug with envVar TOKEN referencing secret.secretName="other" ${notReferenced}`,
    },
    {
      what: "envFrom with an unlisted secret",
      p: withDebug("sa", { envFrom: [secretEnvFrom("other")] }),
      message: `ephemeral container debug with envFrom referencing secret.secretName="other" ${notReferenced}`,
    },
    {
      what: "account not enforcing: anything goes",
      p: withDebug("plain", { env: [secretEnv("T", "other")] }),
    },
    {
      what: "limitSecretReferences enforces for every account",
      p: withDebug("plain", { env: [secretEnv("T", "other")] }),
      limit: true,
      message:
        'ephemeral container debug with envVar T referencing secret.secretName="other" is not allowed because service account plain does not reference that secret',
    },
    {
      what: "no service account",
      p: pod({
        metadata: { name: "p" },
        spec: { ephemeralContainers: [{ ephemeralContainerCommon: { name: "d" } }] },
      }),
      message: "no service account specified for pod ns1/p",
    },
    {
      what: "missing account",
      p: withDebug("gone", {}),
      message: 'error looking up service account ns1/gone: serviceaccount "gone" not found',
    },
  ];
  it.each(cases)("$what", async ({ p, limit, message }) => {
    const store = accountStore(enforcing, plain);
    const req = admissionRequest("UPDATE", p, {
      subresource: "ephemeralcontainers",
      oldPod: clone(corev1.PodSchema, p),
    });
    const deps = {
      getServiceAccount: store.getServiceAccount,
      ...(limit === undefined ? {} : { limitSecretReferences: limit }),
    };
    if (message === undefined) {
      await validate(req, deps);
      const { pod: out } = await admit(req, deps);
      // Not mutated: no token mount for the ephemeral container, nothing defaulted.
      expect(equals(corev1.PodSchema, out, p)).toBe(true);
    } else {
      for (const run of [() => validate(req, deps), () => admit(req, deps)]) {
        const err = await statusErrorOf(run());
        expect(err.message).toBe(`pods "p" is forbidden: ${message}`);
        expect(err.code).toBe(403);
      }
    }
  });
});

describe("validate on UPDATE of the pod itself", () => {
  const stored = pod({
    metadata: { name: "p" },
    spec: { serviceAccountName: "sa", serviceAccount: "sa", containers: [{ name: "c", image: "busybox:1" }] },
  });
  /** The stored pod with `change` applied to a copy's spec. */
  function changed(change: (spec: corev1.PodSpec) => void): corev1.Pod {
    const next = clone(corev1.PodSchema, stored);
    change(next.spec!);
    return next;
  }
  const immutable = 'pods "p" is forbidden: spec.serviceAccountName: Forbidden: field is immutable';
  const cases: Array<{ what: string; next: corev1.Pod; old?: corev1.Pod; message?: string }> = [
    { what: "unchanged", next: stored, old: stored },
    {
      what: "image change is not this plugin's business (no lookup, no secret checks)",
      next: changed((s) => {
        s.containers[0]!.image = "busybox:2";
        s.volumes.push(create(corev1.VolumeSchema, secretVolume("v", "anything")));
      }),
      old: stored,
    },
    {
      what: "serviceAccountName changed",
      next: changed((s) => {
        s.serviceAccountName = "other";
        s.serviceAccount = "other";
      }),
      old: stored,
      message: immutable,
    },
    {
      what: "serviceAccountName cleared",
      next: changed((s) => {
        s.serviceAccountName = "";
        s.serviceAccount = "";
      }),
      old: stored,
      message: immutable,
    },
    {
      what: "only the deprecated alias dropped: same account after conversion",
      next: changed((s) => {
        s.serviceAccount = "";
      }),
      old: stored,
    },
    {
      what: "only serviceAccountName dropped, alias kept: same account after conversion",
      next: changed((s) => {
        s.serviceAccountName = "";
      }),
      old: stored,
    },
    {
      what: "no old object to compare with",
      next: changed((s) => {
        s.serviceAccountName = "other";
      }),
    },
  ];
  it.each(cases)("$what", async ({ next, old, message }) => {
    const store = accountStore(); // no accounts at all: an UPDATE must not need one
    const req = admissionRequest("UPDATE", next, old ? { oldPod: old } : {});
    const deps = { getServiceAccount: store.getServiceAccount, limitSecretReferences: true };
    if (message === undefined) {
      await validate(req, deps);
      const { pod: out } = await admit(req, deps);
      expect(equals(corev1.PodSchema, out, next)).toBe(true);
    } else {
      for (const run of [() => validate(req, deps), () => admit(req, deps)]) {
        const err = await statusErrorOf(run());
        expect(err.message).toBe(message);
        expect(err.code).toBe(403);
        expect(err.reason).toBe("Forbidden");
      }
    }
    expect(store.lookups).toEqual([]);
  });

  it("applies to mirror pods too", async () => {
    const old = mirrorPod();
    const next = mirrorPod({ serviceAccountName: "sa" });
    const err = await statusErrorOf(
      validate(admissionRequest("UPDATE", next, { oldPod: old }), accountStore()),
    );
    expect(err.message).toBe('pods "m" is forbidden: spec.serviceAccountName: Forbidden: field is immutable');
  });

  it("does not modify the request's pods", async () => {
    const next = changed((s) => {
      s.containers[0]!.image = "busybox:2";
    });
    const nextBefore = clone(corev1.PodSchema, next);
    const oldBefore = clone(corev1.PodSchema, stored);
    await admit(admissionRequest("UPDATE", next, { oldPod: stored }), accountStore());
    expect(equals(corev1.PodSchema, next, nextBefore)).toBe(true);
    expect(equals(corev1.PodSchema, stored, oldBefore)).toBe(true);
  });
});
