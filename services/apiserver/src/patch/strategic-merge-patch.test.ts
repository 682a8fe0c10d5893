import type { JsonObject } from "@tokenplane/apimachinery";
import { corev1, rbacv1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { applyStrategicMergePatch } from "./strategic-merge-patch.js";
import { pod, smpError } from "./test-fixtures.js";

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
