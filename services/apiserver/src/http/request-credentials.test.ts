import { describe, expect, it } from "vitest";
import { bearerToken, invalidTokenWithSpaceWarning } from "./request-credentials.js";

describe("bearerToken", () => {
  it.each([
    [undefined, {}],
    ["", {}],
    ["Basic abc", {}],
    ["Bearer", {}],
    ["Bearer abc", { token: "abc" }],
    ["bearer abc", { token: "abc" }],
    ["  Bearer abc  ", { token: "abc" }],
    ["Bearer abc def", { token: "abc" }],
    ["Bearer  abc", { warning: invalidTokenWithSpaceWarning }],
  ])("%j → %j", (header, expected) => {
    expect(bearerToken(header)).toEqual(expected);
  });
});
