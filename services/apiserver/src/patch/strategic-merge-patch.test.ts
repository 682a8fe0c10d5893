import type { DescMessage } from "@bufbuild/protobuf";
import type { JsonObject, JsonValue } from "@tokenplane/apimachinery";
import { StatusError } from "@tokenplane/apimachinery";
import { corev1, rbacv1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { applyStrategicMergePatch } from "./strategic-merge-patch.js";

const pod = (spec: JsonObject, metadata: JsonObject = { name: "p" }): JsonObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata,
  spec,
});

function smpError(doc: JsonObject, patch: JsonValue, schema: DescMessage = corev1.PodSchema): StatusError {
  try {
    applyStrategicMergePatch(doc, patch, schema);
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error("expected a StatusError");
}

describe("applyStrategicMergePatch: objects and scalars", () => {
  it("merges maps key by key and deletes keys set to null", () => {
    const doc = pod({}, { name: "p", labels: { a: "1", b: "2" }, annotations: { x: "y" } });
    const out = applyStrategicMergePatch(
      doc,
      { metadata: { labels: { b: null, c: "3" }, annotations: null } },
      corev1.PodSchema,
    );
    expect(out.metadata).toEqual({ name: "p", labels: { a: "1", c: "3" } });
  });

  it("does not modify its inputs", () => {
    const doc = pod({ containers: [{ name: "a", image: "x" }] });
    const patch = { spec: { containers: [{ name: "a", image: "y" }] } };
    const docCopy = structuredClone(doc);
    const patchCopy = structuredClone(patch);
    applyStrategicMergePatch(doc, patch, corev1.PodSchema);
    expect(doc).toEqual(docCopy);
    expect(patch).toEqual(patchCopy);
  });

  it("drops nulls inside a value the original does not have", () => {
    const out = applyStrategicMergePatch(
      pod({}),
      { spec: { securityContext: { runAsUser: 1, fsGroup: null } } },
      corev1.PodSchema,
    );
    expect(out.spec).toEqual({ securityContext: { runAsUser: 1 } });
  });

  it("$patch: replace replaces an object; $patch: delete empties it", () => {
    const doc = pod({ nodeSelector: { a: "1", b: "2" }, securityContext: { runAsUser: 1 } });
    const out = applyStrategicMergePatch(
      doc,
      { spec: { nodeSelector: { $patch: "replace", c: "3" }, securityContext: { $patch: "delete" } } },
      corev1.PodSchema,
    );
    expect(out.spec).toEqual({ nodeSelector: { c: "3" }, securityContext: {} });
  });

  it("rejects a patch that is not an object with Go's decoding text", () => {
    const err = smpError(pod({}), [1]);
    expect(err.status).toMatchObject({
      code: 400,
      reason: "BadRequest",
      message: "json: cannot unmarshal array into Go value of type map[string]interface {}",
    });
  });

  it("drops a directive map for a key the original does not have", () => {
    const out = applyStrategicMergePatch(
      pod({}),
      { spec: { securityContext: { $patch: "bogus" } } },
      corev1.PodSchema,
    );
    expect(out.spec).toEqual({});
  });

  it("rejects an unknown $patch directive in a map", () => {
    const doc = pod({ securityContext: { runAsUser: 2 } });
    const err = smpError(doc, { spec: { securityContext: { $patch: "bogus", runAsUser: 1 } } });
    expect(err.status.code).toBe(500);
    expect(err.message).toBe("unknown patch type: bogus in map: map[$patch:bogus runAsUser:1]");
  });
});

describe("applyStrategicMergePatch: lists by merge key", () => {
  const base = pod({
    containers: [
      {
        name: "app",
        image: "nginx:1",
        env: [
          { name: "A", value: "1" },
          { name: "B", value: "2" },
        ],
        volumeMounts: [{ name: "v", mountPath: "/data" }],
      },
      { name: "side", image: "busybox" },
    ],
  });

  const cases: { name: string; patch: JsonObject; spec: JsonObject }[] = [
    {
      name: "containers merge by name; an element's fields merge",
      patch: { spec: { containers: [{ name: "side", image: "busybox:2" }] } },
      spec: {
        containers: [
          {
            name: "app",
            image: "nginx:1",
            env: [
              { name: "A", value: "1" },
              { name: "B", value: "2" },
            ],
            volumeMounts: [{ name: "v", mountPath: "/data" }],
          },
          { name: "side", image: "busybox:2" },
        ],
      },
    },
    {
      // Without $setElementOrder, elements the live list lacks go first (mergeSortedSlice only
      // interleaves elements it finds in the live list) — Kubernetes does the same.
      name: "new elements go before the live-only ones; env merges by name inside an element",
      patch: {
        spec: {
          containers: [
            { name: "app", env: [{ name: "C", value: "3" }] },
            { name: "new", image: "x" },
          ],
        },
      },
      spec: {
        containers: [
          {
            name: "app",
            image: "nginx:1",
            env: [
              { name: "C", value: "3" },
              { name: "A", value: "1" },
              { name: "B", value: "2" },
            ],
            volumeMounts: [{ name: "v", mountPath: "/data" }],
          },
          { name: "new", image: "x" },
          { name: "side", image: "busybox" },
        ],
      },
    },
    {
      name: "volumeMounts merge by mountPath, not name",
      patch: { spec: { containers: [{ name: "app", volumeMounts: [{ name: "v", mountPath: "/other" }] }] } },
      spec: {
        containers: [
          {
            name: "app",
            image: "nginx:1",
            env: [
              { name: "A", value: "1" },
              { name: "B", value: "2" },
            ],
            volumeMounts: [
              { name: "v", mountPath: "/other" },
              { name: "v", mountPath: "/data" },
            ],
          },
          { name: "side", image: "busybox" },
        ],
      },
    },
    {
      name: "$patch: delete removes the element with that key",
      patch: { spec: { containers: [{ $patch: "delete", name: "side" }] } },
      spec: {
        containers: [
          {
            name: "app",
            image: "nginx:1",
            env: [
              { name: "A", value: "1" },
              { name: "B", value: "2" },
            ],
            volumeMounts: [{ name: "v", mountPath: "/data" }],
          },
        ],
      },
    },
    {
      name: "$patch: replace in a list replaces the whole list",
      patch: { spec: { containers: [{ name: "only", image: "z" }, { $patch: "replace" }] } },
      spec: { containers: [{ name: "only", image: "z" }] },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(applyStrategicMergePatch(base, c.patch, corev1.PodSchema).spec).toEqual(c.spec);
    });
  }

  it("a list without a patch strategy is replaced (tolerations, command)", () => {
    const doc = pod({
      containers: [{ name: "a", command: ["sh", "-c"] }],
      tolerations: [{ key: "k1" }, { key: "k2" }],
    });
    const out = applyStrategicMergePatch(
      doc,
      { spec: { tolerations: [{ key: "k3" }], containers: [{ name: "a", command: ["true"] }] } },
      corev1.PodSchema,
    );
    expect(out.spec).toEqual({
      containers: [{ name: "a", command: ["true"] }],
      tolerations: [{ key: "k3" }],
    });
  });

  it("ServiceAccount secrets merge by name; imagePullSecrets (no strategy) are replaced", () => {
    const sa: JsonObject = {
      metadata: { name: "sa" },
      secrets: [{ name: "s1" }],
      imagePullSecrets: [{ name: "p1" }],
    };
    const out = applyStrategicMergePatch(
      sa,
      { secrets: [{ name: "s2" }], imagePullSecrets: [{ name: "p2" }] },
      corev1.ServiceAccountSchema,
    );
    expect(out).toEqual({
      metadata: { name: "sa" },
      secrets: [{ name: "s2" }, { name: "s1" }],
      imagePullSecrets: [{ name: "p2" }],
    });
  });

  it("ownerReferences merge by uid", () => {
    const doc: JsonObject = {
      metadata: { name: "x", ownerReferences: [{ uid: "1", name: "a", kind: "Pod", apiVersion: "v1" }] },
    };
    const out = applyStrategicMergePatch(
      doc,
      {
        metadata: {
          ownerReferences: [
            { uid: "1", name: "renamed" },
            { uid: "2", name: "b" },
          ],
        },
      },
      corev1.SecretSchema,
    );
    expect(out.metadata).toEqual({
      name: "x",
      ownerReferences: [
        { uid: "1", name: "renamed", kind: "Pod", apiVersion: "v1" },
        { uid: "2", name: "b" },
      ],
    });
  });

  it("an element without its merge key is a 500 with Kubernetes' text", () => {
    const err = smpError(base, { spec: { containers: [{ image: "x" }] } });
    expect(err.status).toMatchObject({
      code: 500,
      message: "map: map[image:x] does not contain declared merge key: name",
    });
    expect(err.status.reason).toBeUndefined();
  });

  it("RBAC rules are atomic", () => {
    const role: JsonObject = { metadata: { name: "r" }, rules: [{ verbs: ["get"], resources: ["pods"] }] };
    const out = applyStrategicMergePatch(
      role,
      { rules: [{ verbs: ["list"], resources: ["secrets"] }] },
      rbacv1.RoleSchema,
    );
    expect(out.rules).toEqual([{ verbs: ["list"], resources: ["secrets"] }]);
  });
});

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
