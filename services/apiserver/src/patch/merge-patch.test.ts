import { type JsonObject, type JsonValue, StatusError } from "@tokenplane/apimachinery";
import { describe, expect, it } from "vitest";
import { applyMergePatch } from "./merge-patch.js";

describe("applyMergePatch (RFC 7386)", () => {
  // The examples of RFC 7386 appendix A.
  const rfc: { target: JsonValue; patch: JsonValue; result: JsonValue }[] = [
    { target: { a: "b" }, patch: { a: "c" }, result: { a: "c" } },
    { target: { a: "b" }, patch: { b: "c" }, result: { a: "b", b: "c" } },
    { target: { a: "b" }, patch: { a: null }, result: {} },
    { target: { a: "b", b: "c" }, patch: { a: null }, result: { b: "c" } },
    { target: { a: ["b"] }, patch: { a: "c" }, result: { a: "c" } },
    { target: { a: "c" }, patch: { a: ["b"] }, result: { a: ["b"] } },
    { target: { a: { b: "c" } }, patch: { a: { b: "d", c: null } }, result: { a: { b: "d" } } },
    { target: { a: [{ b: "c" }] }, patch: { a: [1] }, result: { a: [1] } },
    { target: { e: null }, patch: { a: 1 }, result: { e: null, a: 1 } },
    { target: {}, patch: { a: { bb: { ccc: null } } }, result: { a: { bb: {} } } },
    { target: { a: "foo" }, patch: ["c"], result: ["c"] },
  ];
  for (const [i, c] of rfc.entries()) {
    it(`RFC 7386 example ${i + 1}`, () => {
      expect(applyMergePatch(c.target as JsonObject, c.patch)).toEqual(c.result);
    });
  }

  it("does not modify its inputs", () => {
    const target = { metadata: { labels: { a: "1" } } };
    const patch = { metadata: { labels: { a: null } } };
    applyMergePatch(target, patch);
    expect(target).toEqual({ metadata: { labels: { a: "1" } } });
    expect(patch).toEqual({ metadata: { labels: { a: null } } });
  });

  for (const bad of [null, "x", 1]) {
    it(`400 Invalid JSON Patch for ${JSON.stringify(bad)}`, () => {
      let err: unknown;
      try {
        applyMergePatch({}, bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(StatusError);
      expect((err as StatusError).status).toMatchObject({
        code: 400,
        reason: "BadRequest",
        message: "Invalid JSON Patch",
      });
    });
  }
});
