import { create } from "@bufbuild/protobuf";
import { authnv1, authzv1, corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { fromK8sJson, toK8sJson } from "./k8s-json.js";

function decode<T extends Parameters<typeof fromK8sJson>[0]>(schema: T, json: unknown) {
  const r = fromK8sJson(schema, json);
  if ("error" in r) throw new Error(r.error);
  return r;
}

describe("Kubernetes JSON codec", () => {
  it("round-trips a ServiceAccount, keeping an explicit false", () => {
    const json = {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: {
        name: "build-robot",
        namespace: "default",
        uid: "2b9a...",
        resourceVersion: "42",
        creationTimestamp: "2022-04-16T06:31:04Z",
        labels: { a: "b" },
      },
      automountServiceAccountToken: false,
      imagePullSecrets: [{ name: "regcred" }],
      secrets: [{ name: "s1" }],
    };
    const { value, unknownFields } = decode(corev1.ServiceAccountSchema, json);
    expect(unknownFields).toEqual([]);
    expect(value.automountServiceAccountToken).toBe(false);
    expect(value.metadata?.creationTimestamp?.seconds).toBe(1650090664n);
    const { apiVersion: _a, kind: _k, ...rest } = json;
    expect(toK8sJson(corev1.ServiceAccountSchema, value)).toEqual(rest);
  });

  it("omits unset optional fields but writes metadata as {}", () => {
    const sa = create(corev1.ServiceAccountSchema, {});
    expect(toK8sJson(corev1.ServiceAccountSchema, sa)).toEqual({ metadata: {} });
  });

  it("inlines volumeSource and localObjectReference, and reads them back", () => {
    const pod = {
      metadata: { name: "p" },
      spec: {
        containers: [{ name: "c", image: "busybox", envFrom: [{ secretRef: { name: "s" } }] }],
        volumes: [
          {
            name: "kube-api-access-abcde",
            projected: {
              sources: [
                { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
                { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
                {
                  downwardAPI: {
                    items: [
                      { path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } },
                    ],
                  },
                },
              ],
              defaultMode: 420,
            },
          },
        ],
      },
    };
    const { value } = decode(corev1.PodSchema, pod);
    const vol = value.spec!.volumes[0]!;
    expect(vol.volumeSource?.projected?.defaultMode).toBe(420);
    const src = vol.volumeSource!.projected!.sources;
    expect(src[0]!.serviceAccountToken!.expirationSeconds).toBe(3607n);
    expect(src[1]!.configMap!.localObjectReference!.name).toBe("kube-root-ca.crt");
    expect(value.spec!.containers[0]!.envFrom[0]!.secretRef!.localObjectReference!.name).toBe("s");
    expect(toK8sJson(corev1.PodSchema, value)).toEqual({ ...pod, status: {} });
  });

  it("encodes bytes as standard base64 and rejects bad base64 naming the field", () => {
    const { value } = decode(corev1.SecretSchema, { metadata: { name: "s" }, data: { token: "YWJj" } });
    expect(Buffer.from(value.data.token!).toString()).toBe("abc");
    expect(toK8sJson(corev1.SecretSchema, value)).toEqual({
      metadata: { name: "s" },
      data: { token: "YWJj" },
    });
    const bad = fromK8sJson(corev1.SecretSchema, { data: { token: "a*b" } });
    expect(bad).toEqual({ error: "illegal base64 data at input byte 1 (field data[token])" });
  });

  it("reports unknown fields by path", () => {
    const r = decode(corev1.PodSchema, {
      metadata: { name: "p", bogus: 1 },
      spec: { containers: [{ name: "c", x: 1 }] },
    });
    expect(r.unknownFields).toEqual(["metadata.bogus", "spec.containers[0].x"]);
  });

  it("names the field in type errors", () => {
    expect(fromK8sJson(corev1.PodSchema, { spec: { terminationGracePeriodSeconds: "30" } })).toEqual({
      error:
        "json: cannot unmarshal string into Go struct field Pod.spec.terminationGracePeriodSeconds of type int64",
    });
    expect(fromK8sJson(corev1.PodSchema, { spec: { terminationGracePeriodSeconds: 1.5 } })).toEqual({
      error:
        "json: cannot unmarshal number 1.5 into Go struct field Pod.spec.terminationGracePeriodSeconds of type int64",
    });
    expect(fromK8sJson(corev1.PodSchema, [])).toEqual({
      error: "json: cannot unmarshal array into Go value of type v1.Pod",
    });
  });

  it("writes ExtraValue as a bare array and TokenReview user as {} when empty", () => {
    const review = create(authnv1.TokenReviewSchema, {
      status: {
        authenticated: true,
        user: { username: "u", extra: { "authentication.kubernetes.io/pod-name": { items: ["p"] } } },
      },
    });
    expect(toK8sJson(authnv1.TokenReviewSchema, review)).toEqual({
      metadata: {},
      spec: {},
      status: {
        authenticated: true,
        user: { username: "u", extra: { "authentication.kubernetes.io/pod-name": ["p"] } },
      },
    });
    const failed = create(authnv1.TokenReviewSchema, { status: { error: "invalid bearer token" } });
    expect(toK8sJson(authnv1.TokenReviewSchema, failed).status).toEqual({
      user: {},
      error: "invalid bearer token",
    });
  });

  it("always writes SubjectAccessReview allowed", () => {
    const sar = create(authzv1.SubjectAccessReviewSchema, { status: { allowed: false } });
    expect(toK8sJson(authzv1.SubjectAccessReviewSchema, sar).status).toEqual({ allowed: false });
  });

  it("rejects bad times and quantities", () => {
    const t = fromK8sJson(corev1.PodSchema, { metadata: { creationTimestamp: "yesterday" } });
    expect("error" in t && t.error).toContain("metadata.creationTimestamp");
    const q = fromK8sJson(corev1.PodSchema, {
      spec: { containers: [{ name: "c", resources: { limits: { cpu: "lots" } } }] },
    });
    expect("error" in q && q.error).toContain("spec.containers[0].resources.limits[cpu]");
    const ok = decode(corev1.PodSchema, {
      spec: { containers: [{ name: "c", resources: { limits: { cpu: "100m" } } }] },
    });
    expect(ok.value.spec!.containers[0]!.resources!.limits.cpu!.string).toBe("100m");
  });
});
