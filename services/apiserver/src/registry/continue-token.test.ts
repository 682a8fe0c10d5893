import { describe, expect, it } from "vitest";
import { decodeContinue, encodeContinue } from "./continue-token.js";

const prefix = "/registry/core/pods/ns/";
const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

describe("continue tokens", () => {
  it("round-trip the start key and revision", () => {
    const token = encodeContinue(`${prefix}b\u0000`, prefix, 42);
    expect(JSON.parse(Buffer.from(token, "base64url").toString())).toEqual({
      v: "meta.k8s.io/v1",
      rv: 42,
      start: "b\u0000",
    });
    expect(decodeContinue(token, prefix)).toEqual({ key: `${prefix}b\u0000`, rv: 42 });
  });
  it.each([
    ["not base64", "***", "continue key is not valid: illegal base64 data"],
    [
      "wrong version",
      enc({ v: "x", rv: 1, start: "a" }),
      "continue key is not valid: server does not recognize this encoded version x",
    ],
    [
      "zero revision",
      enc({ v: "meta.k8s.io/v1", rv: 0, start: "a" }),
      "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
    ],
    [
      "empty start",
      enc({ v: "meta.k8s.io/v1", rv: 1, start: "" }),
      "continue key is not valid: encoded start key empty",
    ],
    [
      "escaping the prefix",
      enc({ v: "meta.k8s.io/v1", rv: 1, start: "../other/a" }),
      "continue key is not valid: ../other/a",
    ],
  ])("rejects %s", (_, token, error) => {
    expect(decodeContinue(token, prefix)).toEqual({ error });
  });
});
