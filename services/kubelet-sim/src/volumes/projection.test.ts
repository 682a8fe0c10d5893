import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { formatMap, splitSubscript } from "./downward-api.js";
import {
  type Payload,
  type ProjectionInputs,
  projectVolume,
  tokenSourcesOf,
  tokenSpecFor,
} from "./projection.js";

const decoder = new TextDecoder();

/** The volume ServiceAccount admission injects (reference §3.3). */
function kubeApiAccess(
  expirationSeconds = 3607n,
  extra: MessageInitShape<typeof corev1.VolumeProjectionSchema>[] = [],
): corev1.Volume {
  return create(corev1.VolumeSchema, {
    name: "kube-api-access-abcde",
    volumeSource: {
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { path: "token", expirationSeconds } },
          {
            configMap: {
              localObjectReference: { name: "kube-root-ca.crt" },
              items: [{ key: "ca.crt", path: "ca.crt" }],
            },
          },
          {
            downwardAPI: {
              items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }],
            },
          },
          ...extra,
        ],
      },
    },
  });
}

function pod(securityContext: { runAsUser?: bigint; fsGroup?: bigint } = {}): corev1.Pod {
  return create(corev1.PodSchema, {
    metadata: { name: "p", namespace: "ns1", uid: "uid-1", labels: { b: "2", a: 'x"y' } },
    spec: { containers: [{ name: "c" }], securityContext, nodeName: "n1", serviceAccountName: "default" },
  });
}

const inputs = (over: Partial<ProjectionInputs> = {}): ProjectionInputs => ({
  token: (i) => `token-of-source-${i}`,
  configMap: (name) =>
    name === "kube-root-ca.crt" ? create(corev1.ConfigMapSchema, { data: { "ca.crt": "PEM" } }) : undefined,
  secret: (name) =>
    name === "creds"
      ? create(corev1.SecretSchema, { data: { user: new TextEncoder().encode("admin") } })
      : undefined,
  nodeAllocatable: { cpu: "32" },
  ...over,
});

function files(payload: Payload): Record<string, { text: string; mode: string; uid?: number; gid?: number }> {
  return Object.fromEntries(
    [...payload].map(([path, f]) => [
      path,
      {
        text: decoder.decode(f.data),
        mode: f.mode.toString(8),
        ...(f.uid === undefined ? {} : { uid: f.uid }),
        ...(f.gid === undefined ? {} : { gid: f.gid }),
      },
    ]),
  );
}

describe("projectVolume", () => {
  it("writes the kube-api-access volume: token, ca.crt and namespace at 0644", () => {
    const result = projectVolume(pod(), kubeApiAccess(), inputs());
    expect("payload" in result && files(result.payload)).toEqual({
      token: { text: "token-of-source-0", mode: "644" },
      "ca.crt": { text: "PEM", mode: "644" },
      namespace: { text: "ns1", mode: "644" },
    });
  });

  it.each([
    [
      "runAsUser",
      { runAsUser: 1000n },
      { text: "token-of-source-0", mode: "600", uid: 1000 },
      { text: "PEM", mode: "644" },
    ],
    [
      "fsGroup",
      { fsGroup: 2000n },
      { text: "token-of-source-0", mode: "640", gid: 2000 },
      { text: "PEM", mode: "644", gid: 2000 },
    ],
    [
      "both",
      { runAsUser: 1000n, fsGroup: 2000n },
      { text: "token-of-source-0", mode: "640", uid: 1000, gid: 2000 },
      { text: "PEM", mode: "644", gid: 2000 },
    ],
  ])("applies the %s modes of reference §5", (_what, ctx, token, ca) => {
    const result = projectVolume(pod(ctx), kubeApiAccess(), inputs());
    expect("payload" in result).toBe(true);
    if (!("payload" in result)) return;
    expect(files(result.payload).token).toEqual(token);
    expect(files(result.payload)["ca.crt"]).toEqual(ca);
  });

  it("writes secrets and configMaps without items as one file per key, and item modes", () => {
    const volume = kubeApiAccess(3607n, [
      { secret: { localObjectReference: { name: "creds" }, items: [] } },
      {
        configMap: {
          localObjectReference: { name: "kube-root-ca.crt" },
          items: [{ key: "ca.crt", path: "dir/ca", mode: 0o400 }],
        },
      },
      {
        downwardAPI: {
          items: [
            { path: "labels", fieldRef: { apiVersion: "v1", fieldPath: "metadata.labels" } },
            { path: "label-b", fieldRef: { apiVersion: "v1", fieldPath: "metadata.labels['b']" } },
            { path: "uid", fieldRef: { apiVersion: "v1", fieldPath: "metadata.uid" } },
          ],
        },
      },
    ]);
    const result = projectVolume(pod(), volume, inputs());
    expect("payload" in result).toBe(true);
    if (!("payload" in result)) return;
    const f = files(result.payload);
    expect(f.user).toEqual({ text: "admin", mode: "644" });
    expect(f["dir/ca"]).toEqual({ text: "PEM", mode: "400" });
    expect(f.labels).toEqual({ text: 'a="x\\"y"\nb="2"', mode: "644" });
    expect(f["label-b"]).toEqual({ text: "2", mode: "644" });
    expect(f.uid).toEqual({ text: "uid-1", mode: "644" });
  });

  it("reports every missing object and key with the kubelet's texts", () => {
    const volume = kubeApiAccess(3607n, [
      { secret: { localObjectReference: { name: "nope" }, items: [] } },
      {
        configMap: {
          localObjectReference: { name: "kube-root-ca.crt" },
          items: [{ key: "missing", path: "m" }],
        },
      },
      { secret: { localObjectReference: { name: "creds" }, items: [{ key: "password", path: "pw" }] } },
      { downwardAPI: { items: [{ path: "x", fieldRef: { apiVersion: "v1", fieldPath: "spec.hostname" } }] } },
    ]);
    expect(projectVolume(pod(), volume, inputs({ configMap: () => undefined }))).toEqual({
      error:
        '[configmaps "kube-root-ca.crt" not found, secrets "nope" not found, configmaps "kube-root-ca.crt" not found, references non-existent secret key: password, unsupported fieldPath: spec.hostname]',
    });
    expect(projectVolume(pod(), kubeApiAccess(), inputs({ configMap: () => undefined }))).toEqual({
      error: 'configmaps "kube-root-ca.crt" not found',
    });
  });

  it("skips optional objects and keys that are missing", () => {
    const volume = kubeApiAccess(3607n, [
      { secret: { localObjectReference: { name: "nope" }, items: [], optional: true } },
      {
        configMap: {
          localObjectReference: { name: "kube-root-ca.crt" },
          items: [{ key: "missing", path: "m" }],
          optional: true,
        },
      },
    ]);
    const result = projectVolume(pod(), volume, inputs());
    expect("payload" in result && [...result.payload.keys()]).toEqual(["token", "ca.crt", "namespace"]);
  });
});

describe("token sources", () => {
  it("finds each serviceAccountToken source with its index", () => {
    const volume = kubeApiAccess(3607n, [
      { serviceAccountToken: { path: "vault", audience: "vault", expirationSeconds: 600n } },
    ]);
    expect(tokenSourcesOf(volume).map((s) => [s.index, s.projection.path])).toEqual([
      [0, "token"],
      [3, "vault"],
    ]);
  });

  it("asks for nil audiences without one, and binds the token to the pod", () => {
    const p = pod();
    const [plain, vault] = tokenSourcesOf(
      kubeApiAccess(3607n, [
        { serviceAccountToken: { path: "vault", audience: "vault", expirationSeconds: 600n } },
      ]),
    );
    expect(tokenSpecFor(p, plain!.projection)).toEqual({
      expirationSeconds: 3607,
      boundObjectRef: { apiVersion: "v1", kind: "Pod", name: "p", uid: "uid-1" },
    });
    expect(tokenSpecFor(p, vault!.projection).audiences).toEqual(["vault"]);
  });
});

describe("downward API helpers", () => {
  it("formats maps as the kubelet does", () => {
    expect(formatMap({ z: "1", a: "b c" })).toBe('a="b c"\nz="1"');
    expect(formatMap({})).toBe("");
  });
  it.each([
    ["metadata.labels['app']", { path: "metadata.labels", subscript: "app" }],
    ["metadata.name", { path: "metadata.name" }],
  ])("splits %s", (input, expected) => {
    expect(splitSubscript(input)).toEqual(expected);
  });
});
