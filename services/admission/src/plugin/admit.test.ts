import { clone, create, equals, type MessageInitShape } from "@bufbuild/protobuf";
import { fromK8sJson, toK8sJson } from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { type AdmissionRequest, type AdmitDeps, admit } from "./admit.js";
import { DefaultAPITokenMountPath } from "./constants.js";
import { tokenVolumeSource } from "./mount-service-account-token.js";
import {
  accountStore,
  fixedNames,
  pod,
  secretEnv,
  secretVolume,
  serviceAccount,
  statusErrorOf,
  testNamespace,
} from "./test-fixtures.js";

/** A CREATE of `p` in the test namespace. */
function creating(p: corev1.Pod): AdmissionRequest {
  return { operation: "CREATE", subresource: "", namespace: testNamespace, pod: p };
}

/** A plain pod `p` with one container `c`, plus `spec` fields. */
function simplePod(spec: MessageInitShape<typeof corev1.PodSpecSchema> = {}): corev1.Pod {
  return pod({ metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "busybox" }], ...spec } });
}

/** Deps with the test store and a generateName returning `kube-api-access-abcde`. */
function depsWith(store: ReturnType<typeof accountStore>, extra: Partial<AdmitDeps> = {}): AdmitDeps {
  return { getServiceAccount: store.getServiceAccount, generateName: fixedNames().generateName, ...extra };
}

const tokenMount = create(corev1.VolumeMountSchema, {
  name: "kube-api-access-abcde",
  readOnly: true,
  mountPath: DefaultAPITokenMountPath,
});

describe("admit on CREATE (reference §3.1)", () => {
  it("step 1: a mirror pod is not mutated and no account is looked up", async () => {
    const store = accountStore(serviceAccount("default"));
    const mirror = pod({
      metadata: { name: "static-web-node1", annotations: { "kubernetes.io/config.mirror": "hash" } },
      spec: { containers: [{ name: "web" }] },
    });
    const { pod: out, warnings } = await admit(creating(mirror), depsWith(store));
    expect(equals(corev1.PodSchema, out, mirror)).toBe(true);
    expect(out).not.toBe(mirror);
    expect(warnings).toEqual([]);
    expect(store.lookups).toEqual([]);
  });

  it("step 2: an empty serviceAccountName becomes `default` (and the deprecated alias follows)", async () => {
    const store = accountStore(serviceAccount("default"));
    const { pod: out } = await admit(creating(simplePod()), depsWith(store));
    expect(out.spec?.serviceAccountName).toBe("default");
    expect(out.spec?.serviceAccount).toBe("default");
    expect(store.lookups).toEqual(["ns1/default"]);
  });

  it("step 2: the deprecated spec.serviceAccount names the account when serviceAccountName is empty", async () => {
    const store = accountStore(serviceAccount("robot"));
    const { pod: out } = await admit(creating(simplePod({ serviceAccount: "robot" })), depsWith(store));
    expect(out.spec?.serviceAccountName).toBe("robot");
    expect(out.spec?.serviceAccount).toBe("robot");
    expect(store.lookups).toEqual(["ns1/robot"]);
  });

  it("step 2: serviceAccountName wins over a different deprecated alias, which is overwritten", async () => {
    const store = accountStore(serviceAccount("a"));
    const { pod: out } = await admit(
      creating(simplePod({ serviceAccountName: "a", serviceAccount: "b" })),
      depsWith(store),
    );
    expect([out.spec?.serviceAccountName, out.spec?.serviceAccount]).toEqual(["a", "a"]);
  });

  // Step 3: lookup failures, as 403 with the pod's name (or generateName, or Unknown).
  const lookupFailures: Array<{
    what: string;
    meta: { name?: string; generateName?: string };
    sa: string;
    message: string;
    liveReads: number;
  }> = [
    {
      what: "missing account: one live read",
      meta: { name: "p" },
      sa: "sa",
      message:
        'pods "p" is forbidden: error looking up service account ns1/sa: serviceaccount "sa" not found',
      liveReads: 1,
    },
    {
      what: "missing `default`: ten live reads",
      meta: { name: "p" },
      sa: "",
      message:
        'pods "p" is forbidden: error looking up service account ns1/default: serviceaccount "default" not found',
      liveReads: 10,
    },
    {
      what: "a pod with only generateName is named by it",
      meta: { generateName: "web-" },
      sa: "sa",
      message:
        'pods "web-" is forbidden: error looking up service account ns1/sa: serviceaccount "sa" not found',
      liveReads: 1,
    },
    {
      what: "a pod without name or generateName is `Unknown`",
      meta: {},
      sa: "sa",
      message:
        'pods "Unknown" is forbidden: error looking up service account ns1/sa: serviceaccount "sa" not found',
      liveReads: 1,
    },
  ];
  it.each(lookupFailures)("step 3: $what", async ({ meta, sa, message, liveReads }) => {
    const store = accountStore(serviceAccount("other"));
    const p = pod({ metadata: meta, spec: { serviceAccountName: sa, containers: [{ name: "c" }] } });
    const err = await statusErrorOf(admit(creating(p), depsWith(store)));
    expect(err.message).toBe(message);
    expect(err.code).toBe(403);
    expect(err.reason).toBe("Forbidden");
    expect(err.status.details).toEqual({ name: meta.name ?? meta.generateName ?? "Unknown", kind: "pods" });
    expect(store.liveReads).toHaveLength(liveReads);
    expect(store.pauses).toEqual(Array(liveReads - 1).fill(150));
  });

  it("step 3: an account in another namespace does not count", async () => {
    const store = accountStore(serviceAccount("sa"));
    const err = await statusErrorOf(
      admit({ ...creating(simplePod({ serviceAccountName: "sa" })), namespace: "ns2" }, depsWith(store)),
    );
    expect(err.message).toBe(
      'pods "p" is forbidden: error looking up service account ns2/sa: serviceaccount "sa" not found',
    );
  });

  it("step 3: any other lookup failure is a 403 carrying its message", async () => {
    const deps: AdmitDeps = {
      getServiceAccount: async () => {
        throw new Error("connection refused");
      },
    };
    const err = await statusErrorOf(admit(creating(simplePod({ serviceAccountName: "sa" })), deps));
    expect(err.message).toBe(
      'pods "p" is forbidden: error looking up service account ns1/sa: connection refused',
    );
    expect(err.code).toBe(403);
  });

  it("step 3: the account is looked up once per admission", async () => {
    const store = accountStore(serviceAccount("default"));
    await admit(creating(simplePod()), depsWith(store));
    expect(store.lookups).toEqual(["ns1/default"]);
  });

  // Step 4: the automount decision for every account × pod setting.
  const settings = [undefined, true, false] as const;
  const automount = settings.flatMap((saSetting) =>
    settings.map((podSetting) => ({ saSetting, podSetting, mounted: podSetting ?? saSetting ?? true })),
  );
  it.each(automount)(
    "step 4: account automount $saSetting × pod automount $podSetting → injected: $mounted",
    async ({ saSetting, podSetting, mounted }) => {
      const store = accountStore(
        serviceAccount("default", saSetting === undefined ? {} : { automountServiceAccountToken: saSetting }),
      );
      const input = simplePod({
        initContainers: [{ name: "init" }],
        ...(podSetting === undefined ? {} : { automountServiceAccountToken: podSetting }),
      });
      const { pod: out } = await admit(creating(input), depsWith(store));
      const spec = out.spec!;
      if (mounted) {
        expect(spec.volumes.map((v) => v.name)).toEqual(["kube-api-access-abcde"]);
        expect(spec.initContainers[0]?.volumeMounts).toEqual([tokenMount]);
        expect(spec.containers[0]?.volumeMounts).toEqual([tokenMount]);
      } else {
        expect(spec.volumes).toEqual([]);
        expect(spec.initContainers[0]?.volumeMounts).toEqual([]);
        expect(spec.containers[0]?.volumeMounts).toEqual([]);
      }
      // The pod's own setting is kept as it was.
      expect(spec.automountServiceAccountToken).toBe(podSetting);
    },
  );

  it("step 4: mountServiceAccountToken=false injects nothing even when automount says yes", async () => {
    const store = accountStore(serviceAccount("default", { automountServiceAccountToken: true }));
    const { pod: out } = await admit(
      creating(simplePod()),
      depsWith(store, { mountServiceAccountToken: false }),
    );
    expect(out.spec?.volumes).toEqual([]);
    expect(out.spec?.containers[0]?.volumeMounts).toEqual([]);
    expect(out.spec?.serviceAccountName).toBe("default");
  });

  it("step 4: the default name generator gives kube-api-access- + 5 characters of Kubernetes' alphabet", async () => {
    const store = accountStore(serviceAccount("default"));
    const { pod: out } = await admit(creating(simplePod()), { getServiceAccount: store.getServiceAccount });
    const name = out.spec?.volumes[0]?.name ?? "";
    expect(name).toMatch(/^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(out.spec?.containers[0]?.volumeMounts[0]?.name).toBe(name);
  });

  it("step 4: an existing kube-api-access- volume is reused and no volume is added", async () => {
    const store = accountStore(serviceAccount("default"));
    const own = {
      name: "kube-api-access-keep",
      volumeSource: { configMap: { localObjectReference: { name: "x" } } },
    };
    const { pod: out } = await admit(creating(simplePod({ volumes: [own] })), depsWith(store));
    expect(out.spec?.volumes).toHaveLength(1);
    expect(equals(corev1.VolumeSchema, out.spec!.volumes[0]!, create(corev1.VolumeSchema, own))).toBe(true);
    expect(out.spec?.containers[0]?.volumeMounts.map((m) => m.name)).toEqual(["kube-api-access-keep"]);
  });

  it("step 4: a container already mounting the path is skipped; ephemeral containers are untouched", async () => {
    const store = accountStore(serviceAccount("default"));
    const input = simplePod({
      containers: [
        { name: "own", volumeMounts: [{ name: "mine", mountPath: DefaultAPITokenMountPath }] },
        { name: "plain" },
      ],
      volumes: [{ name: "mine", volumeSource: { emptyDir: {} } }],
      ephemeralContainers: [{ ephemeralContainerCommon: { name: "debug" } }],
    });
    const { pod: out } = await admit(creating(input), depsWith(store));
    expect(out.spec?.containers[0]?.volumeMounts.map((m) => m.name)).toEqual(["mine"]);
    expect(out.spec?.containers[1]?.volumeMounts).toEqual([tokenMount]);
    expect(out.spec?.ephemeralContainers[0]?.ephemeralContainerCommon?.volumeMounts).toEqual([]);
    expect(out.spec?.volumes.map((v) => v.name)).toEqual(["mine", "kube-api-access-abcde"]);
  });

  // Step 5: imagePullSecrets.
  const pullSecrets: Array<{ what: string; sa: string[]; pod: string[]; expected: string[] }> = [
    {
      what: "copied from the account when the pod has none",
      sa: ["regcred", "other"],
      pod: [],
      expected: ["regcred", "other"],
    },
    { what: "a non-empty pod list is never merged", sa: ["regcred"], pod: ["mine"], expected: ["mine"] },
    { what: "nothing to copy", sa: [], pod: [], expected: [] },
  ];
  it.each(pullSecrets)("step 5: imagePullSecrets $what", async ({ sa, pod: podSecrets, expected }) => {
    const store = accountStore(serviceAccount("default", { imagePullSecrets: sa.map((name) => ({ name })) }));
    const input = simplePod({ imagePullSecrets: podSecrets.map((name) => ({ name })) });
    const { pod: out } = await admit(creating(input), depsWith(store));
    expect(out.spec?.imagePullSecrets).toEqual(
      expected.map((name) => create(corev1.LocalObjectReferenceSchema, { name })),
    );
  });

  it("step 5: copied pull secrets are new objects, not the account's", async () => {
    const account = serviceAccount("default", { imagePullSecrets: [{ name: "regcred" }] });
    const { pod: out } = await admit(creating(simplePod()), depsWith(accountStore(account)));
    expect(out.spec?.imagePullSecrets[0]).not.toBe(account.imagePullSecrets[0]);
    out.spec!.imagePullSecrets[0]!.name = "changed";
    expect(account.imagePullSecrets[0]?.name).toBe("regcred");
  });

  it("step 6: validation runs on the mutated pod (mountable secrets enforced)", async () => {
    const store = accountStore(
      serviceAccount("default", {
        metadata: { annotations: { "kubernetes.io/enforce-mountable-secrets": "true" } },
        secrets: [{ name: "ok" }],
        imagePullSecrets: [{ name: "regcred" }],
      }),
    );
    // The copied pull secret passes the pull-secret check; the env reference does not.
    const err = await statusErrorOf(
      admit(
        creating(simplePod({ containers: [{ name: "c", env: [secretEnv("PW", "db")] }] })),
        depsWith(store),
      ),
    );
    expect(err.message).toBe(
      'pods "p" is forbidden: container c with envVar PW referencing secret.secretName="db" is not allowed because service account default does not reference that secret',
    );
    const allowed = await admit(
      creating(simplePod({ containers: [{ name: "c" }], volumes: [secretVolume("v", "ok")] })),
      depsWith(store),
    );
    expect(allowed.pod.spec?.imagePullSecrets.map((r) => r.name)).toEqual(["regcred"]);
    // Creating a pod with such an account gives no warning (reference §2.5).
    expect(allowed.warnings).toEqual([]);
  });

  it("step 6: limitSecretReferences enforces for every account", async () => {
    const store = accountStore(serviceAccount("default"));
    const err = await statusErrorOf(
      admit(
        creating(simplePod({ volumes: [secretVolume("v", "s")] })),
        depsWith(store, { limitSecretReferences: true }),
      ),
    );
    expect(err.message).toBe(
      'pods "p" is forbidden: volume with secret.secretName="s" is not allowed because service account default does not reference that secret',
    );
  });

  it("does not modify the request's pod or the cached account", async () => {
    const account = serviceAccount("default", { imagePullSecrets: [{ name: "regcred" }] });
    const accountBefore = clone(corev1.ServiceAccountSchema, account);
    const input = simplePod({
      initContainers: [{ name: "i" }],
      volumes: [{ name: "d", volumeSource: { emptyDir: {} } }],
    });
    const before = clone(corev1.PodSchema, input);
    const { pod: out } = await admit(creating(input), depsWith(accountStore(account)));
    expect(equals(corev1.PodSchema, input, before)).toBe(true);
    expect(equals(corev1.ServiceAccountSchema, account, accountBefore)).toBe(true);
    expect(out).not.toBe(input);
    expect(out.spec?.containers[0]).not.toBe(input.spec?.containers[0]);
    expect(out.spec?.volumes).toHaveLength(2);
  });

  it("gives a pod without a spec an empty spec with the defaults", async () => {
    const store = accountStore(serviceAccount("default", { imagePullSecrets: [{ name: "r" }] }));
    const { pod: out } = await admit(creating(pod({ metadata: { name: "p" } })), depsWith(store));
    expect(out.spec?.serviceAccountName).toBe("default");
    expect(out.spec?.volumes).toEqual([]); // no container needed it
    expect(out.spec?.imagePullSecrets.map((r) => r.name)).toEqual(["r"]);
  });
});

describe("worked example (reference §9.3)", () => {
  it("reproduces the admitted pod exactly", async () => {
    const decoded = fromK8sJson(corev1.PodSchema, {
      metadata: { name: "p" },
      spec: { containers: [{ name: "c", image: "busybox" }] },
    });
    if (!("value" in decoded)) throw new Error(decoded.error);
    const store = accountStore(serviceAccount("default", { imagePullSecrets: [{ name: "regcred" }] }));
    const { pod: out, warnings } = await admit(
      { operation: "CREATE", subresource: "", namespace: "ns1", pod: decoded.value },
      { getServiceAccount: store.getServiceAccount, generateName: (prefix) => `${prefix}abcde` },
    );
    expect(warnings).toEqual([]);
    const spec = out.spec!;

    // Field by field against the protobuf messages.
    expect(spec.serviceAccountName).toBe("default");
    expect(spec.serviceAccount).toBe("default");
    expect(spec.containers).toHaveLength(1);
    expect(spec.containers[0]?.volumeMounts).toEqual([tokenMount]);
    expect(spec.volumes).toHaveLength(1);
    expect(
      equals(
        corev1.VolumeSchema,
        spec.volumes[0]!,
        create(corev1.VolumeSchema, {
          name: "kube-api-access-abcde",
          volumeSource: { projected: tokenVolumeSource() },
        }),
      ),
    ).toBe(true);
    expect(spec.imagePullSecrets).toEqual([create(corev1.LocalObjectReferenceSchema, { name: "regcred" })]);

    // And as the Kubernetes JSON the reference prints.
    const json = toK8sJson(corev1.PodSchema, out) as { spec: Record<string, unknown> };
    expect(JSON.stringify(json.spec.volumes)).toBe(
      '[{"name":"kube-api-access-abcde","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},{"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}],"defaultMode":420}}]',
    );
    expect(JSON.stringify((json.spec.containers as Array<Record<string, unknown>>)[0]?.volumeMounts)).toBe(
      '[{"name":"kube-api-access-abcde","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}]',
    );
    expect(JSON.stringify(json.spec.imagePullSecrets)).toBe('[{"name":"regcred"}]');
    expect(json.spec.serviceAccountName).toBe("default");
    expect(json.spec.serviceAccount).toBe("default");
  });
});
