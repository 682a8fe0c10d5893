import { StatusError } from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { applyServerSide, parseApplyPatch } from "./apply-patch.js";

describe("parseApplyPatch", () => {
  it("reads JSON (what kubectl apply --server-side sends)", () => {
    expect(parseApplyPatch('{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"a"}}')).toEqual({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "a" },
    });
  });

  it("reads YAML as go-yaml does: 1.1 booleans and octals, timestamps as strings, first document only", () => {
    const body = new TextEncoder().encode(
      "apiVersion: v1\nkind: ConfigMap\ndata:\n  when: 2001-12-14\nimmutable: yes\nx: 0777\n---\nkind: Other\n",
    );
    expect(parseApplyPatch(body)).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      data: { when: "2001-12-14" },
      immutable: true,
      x: 511,
    });
  });

  it("an empty body is an empty object", () => {
    expect(parseApplyPatch("")).toEqual({});
  });

  const bad: [string, string][] = [
    [
      "- a\n- b\n",
      "error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}",
    ],
    ["a: 1\na: 2\n", "error decoding YAML: Map keys must be unique at line 2, column 1:"],
  ];
  for (const [body, message] of bad) {
    it(`400 for ${JSON.stringify(body)}`, () => {
      let err: unknown;
      try {
        parseApplyPatch(body);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(StatusError);
      expect((err as StatusError).status).toMatchObject({ code: 400, reason: "BadRequest", message });
    });
  }
});

describe("applyServerSide", () => {
  it("creates when the object does not exist (nulls dropped)", () => {
    const applied = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "a", labels: null } };
    expect(applyServerSide(undefined, applied, corev1.ServiceAccountSchema)).toEqual({
      created: true,
      object: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "a" } },
    });
  });

  it("merges into the current object with the strategic merge rules, keeping fields it does not mention", () => {
    const current = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", uid: "u1", labels: { keep: "1" }, finalizers: ["f1"] },
      spec: {
        serviceAccountName: "default",
        containers: [
          { name: "app", image: "nginx:1", env: [{ name: "A", value: "1" }] },
          { name: "side", image: "busybox" },
        ],
        tolerations: [{ key: "t1" }],
      },
    };
    const applied = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", labels: { app: "x" }, finalizers: ["f2"] },
      spec: { containers: [{ name: "app", image: "nginx:2" }], tolerations: [{ key: "t2" }] },
    };
    expect(applyServerSide(current, applied, corev1.PodSchema)).toEqual({
      created: false,
      object: {
        apiVersion: "v1",
        kind: "Pod",
        // New list elements go first, as in a strategic merge patch without $setElementOrder.
        metadata: { name: "p", uid: "u1", labels: { keep: "1", app: "x" }, finalizers: ["f2", "f1"] },
        spec: {
          serviceAccountName: "default",
          containers: [
            { name: "app", image: "nginx:2", env: [{ name: "A", value: "1" }] },
            { name: "side", image: "busybox" },
          ],
          tolerations: [{ key: "t2" }],
        },
      },
    });
  });
});
