import type { JsonObject } from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { applyStrategicMergePatch } from "./strategic-merge-patch.js";
import { pod, smpError } from "./test-fixtures.js";

describe("applyStrategicMergePatch: primitive lists and parallel-list directives", () => {
  it("finalizers (patchStrategy merge) are united, not replaced", () => {
    const doc: JsonObject = { metadata: { name: "s", finalizers: ["a", "b"] } };
    const out = applyStrategicMergePatch(doc, { metadata: { finalizers: ["b", "c"] } }, corev1.SecretSchema);
    expect(out.metadata).toEqual({ name: "s", finalizers: ["a", "b", "c"] });
  });

  it("$deleteFromPrimitiveList removes values; $setElementOrder orders the rest", () => {
    // What `kubectl apply` sends when a finalizer was removed from the manifest.
    const doc: JsonObject = { metadata: { name: "s", finalizers: ["a", "b", "c"] } };
    const out = applyStrategicMergePatch(
      doc,
      {
        metadata: { "$deleteFromPrimitiveList/finalizers": ["b"], "$setElementOrder/finalizers": ["c", "a"] },
      },
      corev1.SecretSchema,
    );
    expect(out.metadata).toEqual({ name: "s", finalizers: ["c", "a"] });
  });

  it("a namespace's spec.finalizers (atomic) are replaced", () => {
    const ns: JsonObject = { metadata: { name: "n" }, spec: { finalizers: ["kubernetes"] } };
    const out = applyStrategicMergePatch(ns, { spec: { finalizers: ["x"] } }, corev1.NamespaceSchema);
    expect(out.spec).toEqual({ finalizers: ["x"] });
  });

  it("a malformed parallel-list key is 400 invalid patch format", () => {
    const err = smpError(
      { metadata: {} },
      { metadata: { $deleteFromPrimitiveList: ["a"] } },
      corev1.SecretSchema,
    );
    expect(err.status).toMatchObject({
      code: 400,
      reason: "BadRequest",
      message: "invalid patch format of primitive list",
    });
  });
});

describe("applyStrategicMergePatch: the bodies kubectl apply sends", () => {
  it("$setElementOrder puts patched containers in the manifest's order, live-only ones by live order", () => {
    const doc = pod({
      containers: [
        { name: "a", image: "a:1" },
        { name: "b", image: "b:1" },
        { name: "injected", image: "i" },
      ],
    });
    const out = applyStrategicMergePatch(
      doc,
      {
        spec: {
          "$setElementOrder/containers": [{ name: "b" }, { name: "a" }, { name: "c" }],
          containers: [
            { name: "b", image: "b:2" },
            { name: "c", image: "c:1" },
          ],
        },
      },
      corev1.PodSchema,
    );
    expect(out.spec).toEqual({
      containers: [
        { name: "b", image: "b:2" },
        { name: "a", image: "a:1" },
        { name: "c", image: "c:1" },
        { name: "injected", image: "i" },
      ],
    });
  });

  it("changing a volume's source: $retainKeys clears the old source", () => {
    const doc = pod({
      volumes: [
        { name: "v", emptyDir: {} },
        { name: "w", secret: { secretName: "s" } },
      ],
    });
    const out = applyStrategicMergePatch(
      doc,
      {
        spec: {
          "$setElementOrder/volumes": [{ name: "v" }, { name: "w" }],
          volumes: [
            { $retainKeys: ["configMap", "name"], configMap: { name: "cm" }, emptyDir: null, name: "v" },
          ],
        },
      },
      corev1.PodSchema,
    );
    expect(out.spec).toEqual({
      volumes: [
        { name: "v", configMap: { name: "cm" } },
        { name: "w", secret: { secretName: "s" } },
      ],
    });
  });

  it("a key outside $retainKeys is 400 invalid patch format of retainKeys", () => {
    const doc = pod({ volumes: [{ name: "v", emptyDir: {} }] });
    const err = smpError(doc, { spec: { volumes: [{ $retainKeys: ["name"], name: "v", secret: {} }] } });
    expect(err.status).toMatchObject({ code: 400, message: "invalid patch format of retainKeys" });
  });

  it("removing an element from the manifest: $patch delete plus the new order", () => {
    const doc = pod({
      volumes: [
        { name: "a", emptyDir: {} },
        { name: "b", emptyDir: {} },
      ],
    });
    const out = applyStrategicMergePatch(
      doc,
      { spec: { "$setElementOrder/volumes": [{ name: "a" }], volumes: [{ $patch: "delete", name: "b" }] } },
      corev1.PodSchema,
    );
    expect(out.spec).toEqual({ volumes: [{ name: "a", emptyDir: {} }] });
  });

  it("a patch list out of the $setElementOrder order is rejected", () => {
    const doc = pod({ containers: [{ name: "a" }, { name: "b" }] });
    const err = smpError(doc, {
      spec: { "$setElementOrder/containers": [{ name: "a" }], containers: [{ name: "b", image: "x" }] },
    });
    expect(err.status.code).toBe(500);
    expect(err.message).toBe(
      "the order in patch list:\n[map[image:x name:b]]\n doesn't match $setElementOrder list:\n[map[name:a]]",
    );
  });

  it("a field the type does not have is reported when it has to be merged", () => {
    const err = smpError(pod({ bogus: { a: 1 } }), { spec: { bogus: { b: 2 } } });
    expect(err.message).toBe('unable to find api field in struct PodSpec for the json field "bogus"');
  });

  it("inline fields are found in their parent (ephemeralContainers' env merges by name)", () => {
    const doc = pod({ ephemeralContainers: [{ name: "dbg", env: [{ name: "A", value: "1" }] }] });
    const out = applyStrategicMergePatch(
      doc,
      { spec: { ephemeralContainers: [{ name: "dbg", env: [{ name: "B", value: "2" }] }] } },
      corev1.PodSchema,
    );
    expect(out.spec).toEqual({
      ephemeralContainers: [
        {
          name: "dbg",
          env: [
            { name: "B", value: "2" },
            { name: "A", value: "1" },
          ],
        },
      ],
    });
  });
});
