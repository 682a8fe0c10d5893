import { create, equals } from "@bufbuild/protobuf";
import { toK8sJson } from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import {
  DefaultAPITokenMountPath,
  ProjectedVolumeSourceDefaultMode,
  ServiceAccountVolumeNamePrefix,
  WarnOnlyBoundTokenExpirationSeconds,
} from "./constants.js";
import {
  mountServiceAccountToken,
  shouldAutomount,
  tokenVolumeSource,
} from "./mount-service-account-token.js";
import { fixedNames, pod, serviceAccount } from "./test-fixtures.js";

describe("constants (reference §0)", () => {
  it("have Kubernetes' values", () => {
    expect(ServiceAccountVolumeNamePrefix).toBe("kube-api-access-");
    expect(DefaultAPITokenMountPath).toBe("/var/run/secrets/kubernetes.io/serviceaccount");
    expect(WarnOnlyBoundTokenExpirationSeconds).toBe(3607);
    expect(ProjectedVolumeSourceDefaultMode).toBe(420);
  });
});

describe("tokenVolumeSource (reference §3.3 step 4)", () => {
  it("is Kubernetes' TokenVolumeSource exactly, field by field", () => {
    const src = tokenVolumeSource();
    expect(src.defaultMode).toBe(420);
    expect(src.sources).toHaveLength(3);
    const [token, ca, ns] = src.sources;
    expect(token?.serviceAccountToken).toEqual(
      create(corev1.ServiceAccountTokenProjectionSchema, {
        path: "token",
        expirationSeconds: 3607n,
        audience: "",
      }),
    );
    expect(token?.configMap ?? token?.downwardAPI ?? token?.secret).toBeUndefined();
    expect(ca?.configMap?.localObjectReference?.name).toBe("kube-root-ca.crt");
    expect(ca?.configMap?.items.map((i) => [i.key, i.path, i.mode])).toEqual([
      ["ca.crt", "ca.crt", undefined],
    ]);
    expect(ca?.configMap?.optional).toBeUndefined();
    expect(
      ns?.downwardAPI?.items.map((i) => [i.path, i.fieldRef?.apiVersion, i.fieldRef?.fieldPath]),
    ).toEqual([["namespace", "v1", "metadata.namespace"]]);
  });

  it("renders as the Kubernetes JSON of reference §9.3", () => {
    const volume = create(corev1.VolumeSchema, {
      name: "kube-api-access-abcde",
      volumeSource: { projected: tokenVolumeSource() },
    });
    expect(JSON.stringify(toK8sJson(corev1.VolumeSchema, volume, false))).toBe(
      '{"name":"kube-api-access-abcde","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},{"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}],"defaultMode":420}}',
    );
  });

  it("returns a fresh object each time", () => {
    const a = tokenVolumeSource();
    const b = tokenVolumeSource();
    expect(a).not.toBe(b);
    expect(equals(corev1.ProjectedVolumeSourceSchema, a, b)).toBe(true);
  });
});

describe("shouldAutomount (reference §3.1): pod setting, else account setting, else true", () => {
  const settings = [undefined, true, false] as const;
  const cases = settings.flatMap((sa) => settings.map((p) => ({ sa, pod: p, expected: p ?? sa ?? true })));
  it.each(cases)("account $sa × pod $pod → $expected", ({ sa, pod: p, expected }) => {
    const account = serviceAccount("sa", sa === undefined ? {} : { automountServiceAccountToken: sa });
    const thePod = pod({ spec: p === undefined ? {} : { automountServiceAccountToken: p } });
    expect(shouldAutomount(account, thePod)).toBe(expected);
  });
});

describe("mountServiceAccountToken (reference §3.3)", () => {
  const mount = (name: string) => ({ name, readOnly: true, mountPath: DefaultAPITokenMountPath });

  it("mounts init containers then containers and appends the volume", () => {
    const spec = create(corev1.PodSpecSchema, {
      volumes: [{ name: "data", volumeSource: { emptyDir: {} } }],
      initContainers: [{ name: "i" }],
      containers: [{ name: "a", volumeMounts: [{ name: "data", mountPath: "/data" }] }, { name: "b" }],
    });
    const { prefixes, generateName } = fixedNames();
    mountServiceAccountToken(spec, generateName);
    expect(prefixes).toEqual(["kube-api-access-"]);
    expect(spec.initContainers[0]?.volumeMounts).toEqual([
      create(corev1.VolumeMountSchema, mount("kube-api-access-abcde")),
    ]);
    expect(spec.containers[0]?.volumeMounts.map((m) => [m.name, m.mountPath, m.readOnly])).toEqual([
      ["data", "/data", false],
      ["kube-api-access-abcde", DefaultAPITokenMountPath, true],
    ]);
    expect(spec.containers[1]?.volumeMounts).toEqual([
      create(corev1.VolumeMountSchema, mount("kube-api-access-abcde")),
    ]);
    expect(spec.volumes.map((v) => v.name)).toEqual(["data", "kube-api-access-abcde"]);
    expect(
      equals(
        corev1.ProjectedVolumeSourceSchema,
        spec.volumes[1]!.volumeSource!.projected!,
        tokenVolumeSource(),
      ),
    ).toBe(true);
  });

  it("reuses the first kube-api-access- volume as it is, without generating a name or adding a volume", () => {
    const spec = create(corev1.PodSpecSchema, {
      volumes: [
        { name: "kube-api-access", volumeSource: { emptyDir: {} } }, // no dash: not the prefix
        { name: "kube-api-access-mine", volumeSource: { emptyDir: {} } },
        { name: "kube-api-access-other", volumeSource: { emptyDir: {} } },
      ],
      containers: [{ name: "c" }],
    });
    const before = spec.volumes.map((v) => create(corev1.VolumeSchema, v));
    const { prefixes, generateName } = fixedNames();
    mountServiceAccountToken(spec, generateName);
    expect(prefixes).toEqual([]);
    expect(spec.containers[0]?.volumeMounts).toEqual([
      create(corev1.VolumeMountSchema, mount("kube-api-access-mine")),
    ]);
    expect(spec.volumes).toHaveLength(3);
    for (const [i, v] of spec.volumes.entries())
      expect(equals(corev1.VolumeSchema, v, before[i]!)).toBe(true);
  });

  it("skips a container that already mounts the exact path, whatever the volume", () => {
    const spec = create(corev1.PodSpecSchema, {
      volumes: [{ name: "own", volumeSource: { secret: { secretName: "s" } } }],
      containers: [
        { name: "has", volumeMounts: [{ name: "own", mountPath: DefaultAPITokenMountPath }] },
        { name: "near", volumeMounts: [{ name: "own", mountPath: `${DefaultAPITokenMountPath}/` }] },
      ],
    });
    mountServiceAccountToken(spec, fixedNames().generateName);
    expect(spec.containers[0]?.volumeMounts.map((m) => m.name)).toEqual(["own"]);
    // A different path (even a trailing slash) is not the exact path.
    expect(spec.containers[1]?.volumeMounts.map((m) => m.name)).toEqual(["own", "kube-api-access-abcde"]);
    expect(spec.volumes.map((v) => v.name)).toEqual(["own", "kube-api-access-abcde"]);
  });

  it("adds no volume when every container already mounts the path (the name is still generated)", () => {
    const spec = create(corev1.PodSpecSchema, {
      initContainers: [{ name: "i", volumeMounts: [{ name: "x", mountPath: DefaultAPITokenMountPath }] }],
      containers: [{ name: "c", volumeMounts: [{ name: "x", mountPath: DefaultAPITokenMountPath }] }],
    });
    const { prefixes, generateName } = fixedNames();
    mountServiceAccountToken(spec, generateName);
    expect(prefixes).toEqual(["kube-api-access-"]);
    expect(spec.volumes).toEqual([]);
    expect(spec.containers[0]?.volumeMounts).toHaveLength(1);
    expect(spec.initContainers[0]?.volumeMounts).toHaveLength(1);
  });

  it("adds no volume to a pod without containers", () => {
    const spec = create(corev1.PodSpecSchema, {});
    mountServiceAccountToken(spec, fixedNames().generateName);
    expect(spec.volumes).toEqual([]);
  });

  it("never touches ephemeral containers", () => {
    const spec = create(corev1.PodSpecSchema, {
      containers: [{ name: "c" }],
      ephemeralContainers: [{ ephemeralContainerCommon: { name: "debug" }, targetContainerName: "c" }],
    });
    mountServiceAccountToken(spec, fixedNames().generateName);
    expect(spec.ephemeralContainers[0]?.ephemeralContainerCommon?.volumeMounts).toEqual([]);
    expect(spec.containers[0]?.volumeMounts).toHaveLength(1);
  });
});
