import { create } from "@bufbuild/protobuf";
import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { DESCRIPTION, rootCAConfigMapActions } from "./root-ca-configmap.js";

const CA = "-----BEGIN CERTIFICATE-----\nroot\n-----END CERTIFICATE-----\n";
const TEXT =
  "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

const cm = (
  data: Record<string, string>,
  annotations: Record<string, string>,
  labels: Record<string, string> = {},
) =>
  create(corev1.ConfigMapSchema, {
    metadata: {
      name: "kube-root-ca.crt",
      namespace: "ns",
      resourceVersion: "9",
      uid: "u",
      annotations,
      labels,
    },
    data,
  });

describe("rootCAConfigMapActions (reference §4.3)", () => {
  it("uses Kubernetes' description text", () => {
    expect(DESCRIPTION).toBe(TEXT);
  });

  it("creates the ConfigMap when missing, tolerating NotFound and NamespaceTerminating", () => {
    expect(rootCAConfigMapActions("ns", undefined, CA)).toEqual([
      {
        verb: "create",
        resource: "configmaps",
        object: create(corev1.ConfigMapSchema, {
          metadata: {
            name: "kube-root-ca.crt",
            namespace: "ns",
            annotations: { "kubernetes.io/description": TEXT },
          },
          data: { "ca.crt": CA },
        }),
        tolerate: ["NotFound", "NamespaceTerminating"],
      },
    ]);
  });

  const desc = { "kubernetes.io/description": TEXT };
  const cases: Array<{ name: string; cached: corev1.ConfigMap; update: boolean }> = [
    { name: "exact data and description: nothing", cached: cm({ "ca.crt": CA }, desc), update: false },
    {
      name: "any non-empty description is enough",
      cached: cm({ "ca.crt": CA }, { "kubernetes.io/description": "mine" }),
      update: false,
    },
    { name: "description missing", cached: cm({ "ca.crt": CA }, {}), update: true },
    {
      name: "description empty",
      cached: cm({ "ca.crt": CA }, { "kubernetes.io/description": "" }),
      update: true,
    },
    { name: "bundle changed", cached: cm({ "ca.crt": "tampered" }, desc), update: true },
    { name: "extra key", cached: cm({ "ca.crt": CA, extra: "x" }, desc), update: true },
    { name: "no data", cached: cm({}, desc), update: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const actions = rootCAConfigMapActions("ns", c.cached, CA);
      expect(actions.length).toBe(c.update ? 1 : 0);
    });
  }

  it("replaces data wholesale and re-adds the description, keeping the rest of the object", () => {
    const cached = cm({ "ca.crt": "tampered", extra: "x" }, { other: "kept" }, { team: "a" });
    const [action] = rootCAConfigMapActions("ns", cached, CA);
    expect(action?.verb).toBe("update");
    if (action?.verb !== "update") return;
    const updated = action.object as corev1.ConfigMap;
    expect(updated.data).toEqual({ "ca.crt": CA });
    expect(updated.metadata?.annotations).toEqual({ other: "kept", "kubernetes.io/description": TEXT });
    expect(updated.metadata?.labels).toEqual({ team: "a" });
    expect(updated.metadata?.resourceVersion).toBe("9");
    expect(action.tolerate).toEqual([]);
    // The cache's copy is untouched.
    expect(cached.data).toEqual({ "ca.crt": "tampered", extra: "x" });
  });
});
