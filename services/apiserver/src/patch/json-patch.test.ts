import { type JsonObject, type JsonValue, StatusError } from "@tokenplane/apimachinery";
import { describe, expect, it } from "vitest";
import { applyJsonPatch } from "./json-patch.js";

const doc = (): JsonObject => ({
  metadata: { name: "x", labels: { "a/b": "1", "t~x": "2" } },
  list: ["a", "b", "c"],
});

function patchError(d: JsonObject, ops: JsonValue): StatusError {
  try {
    applyJsonPatch(d, ops);
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error("expected a StatusError");
}

describe("applyJsonPatch", () => {
  const ok: { name: string; ops: JsonValue; expect: (d: JsonObject) => void }[] = [
    {
      name: "add a member, with ~1 and ~0 escapes",
      ops: [
        { op: "add", path: "/metadata/labels/c~1d", value: "3" },
        { op: "add", path: "/metadata/labels/t~0y", value: "4" },
      ],
      expect: (d) =>
        expect(d.metadata).toEqual({ name: "x", labels: { "a/b": "1", "t~x": "2", "c/d": "3", "t~y": "4" } }),
    },
    {
      name: "add to an array at an index and at -",
      ops: [
        { op: "add", path: "/list/1", value: "x" },
        { op: "add", path: "/list/-", value: "z" },
      ],
      expect: (d) => expect(d.list).toEqual(["a", "x", "b", "c", "z"]),
    },
    {
      name: "remove a member and an element",
      ops: [
        { op: "remove", path: "/metadata/labels/a~1b" },
        { op: "remove", path: "/list/0" },
      ],
      expect: (d) => {
        expect(d.metadata).toEqual({ name: "x", labels: { "t~x": "2" } });
        expect(d.list).toEqual(["b", "c"]);
      },
    },
    {
      name: "replace an element; replace of an absent member adds it (json-patch v4)",
      ops: [
        { op: "replace", path: "/list/2", value: "C" },
        { op: "replace", path: "/metadata/namespace", value: "ns" },
      ],
      expect: (d) => {
        expect(d.list).toEqual(["a", "b", "C"]);
        expect((d.metadata as JsonObject).namespace).toBe("ns");
      },
    },
    {
      name: "move and copy",
      ops: [
        { op: "move", from: "/metadata/labels/t~0x", path: "/metadata/moved" },
        { op: "copy", from: "/list", path: "/copy" },
      ],
      expect: (d) => {
        expect(d.metadata).toEqual({ name: "x", labels: { "a/b": "1" }, moved: "2" });
        expect(d.copy).toEqual(["a", "b", "c"]);
      },
    },
    {
      name: "test passes on equal values, and on an absent member against null",
      ops: [
        { op: "test", path: "/metadata/labels", value: { "t~x": "2", "a/b": "1" } },
        { op: "test", path: "/metadata/absent", value: null },
        { op: "replace", path: "/metadata/name", value: "y" },
      ],
      expect: (d) => expect((d.metadata as JsonObject).name).toBe("y"),
    },
  ];
  for (const c of ok) {
    it(c.name, () => c.expect(applyJsonPatch(doc(), c.ops)));
  }

  it("does not modify the document", () => {
    const d = doc();
    applyJsonPatch(d, [{ op: "remove", path: "/list" }]);
    expect(d).toEqual(doc());
  });

  const failing: { name: string; ops: JsonValue; warning: string }[] = [
    {
      name: "test fails",
      ops: [{ op: "test", path: "/metadata/name", value: "other" }],
      warning: "json patch: testing value /metadata/name failed: test failed",
    },
    {
      name: "add under a missing parent",
      ops: [{ op: "add", path: "/spec/x", value: 1 }],
      warning: 'json patch: add operation does not apply: doc is missing path: "/spec/x": missing value',
    },
    {
      name: "remove a missing member",
      ops: [{ op: "remove", path: "/metadata/nope" }],
      warning:
        "json patch: error in remove for path: '/metadata/nope': Unable to remove nonexistent key: nope: missing value",
    },
    {
      name: "index out of range",
      ops: [{ op: "add", path: "/list/9", value: "x" }],
      warning:
        "json patch: error in add for path: '/list/9': Unable to access invalid index: 9: invalid index referenced",
    },
    {
      name: "unknown op",
      ops: [{ op: "frobnicate", path: "/x" }],
      warning: "json patch: Unexpected kind: frobnicate",
    },
  ];
  for (const c of failing) {
    it(`422 with Kubernetes' message when an operation does not apply: ${c.name}`, () => {
      const err = patchError(doc(), c.ops);
      expect(err.status).toEqual({
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        reason: "Invalid",
        code: 422,
        message: "the server rejected our request due to an error in our request",
        details: {},
      });
      expect(err.warnings).toEqual([c.warning]);
    });
  }

  it("400 when the body is not a list of operations", () => {
    expect(patchError(doc(), { op: "add" }).status).toMatchObject({
      code: 400,
      reason: "BadRequest",
      message: "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
    });
    expect(patchError(doc(), ["add"]).message).toBe(
      "json: cannot unmarshal string into Go value of type jsonpatch.Operation",
    );
  });

  it("413 above 10000 operations", () => {
    const ops = Array.from({ length: 10001 }, () => ({ op: "test", path: "/list/0", value: "a" }));
    expect(patchError(doc(), ops).status).toMatchObject({
      code: 413,
      reason: "RequestEntityTooLarge",
      message: "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001",
    });
  });
});
