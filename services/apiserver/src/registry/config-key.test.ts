import { describe, expect, it } from "vitest";
import { isConfigMapKey } from "./config-key.js";

const regexMsg =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

describe("isConfigMapKey", () => {
  const cases: [string, string[]][] = [
    ["token", []],
    ["ca.crt", []],
    ["KEY_NAME-1.x", []],
    ["", [regexMsg]],
    ["a/b", [regexMsg]],
    ["a b", [regexMsg]],
    [".", ["must not be '.'"]],
    ["..", ["must not be '..'"]],
    ["..data", ["must not start with '..'"]],
    ["k".repeat(254), ["must be no more than 253 characters"]],
  ];
  it.each(cases)("%j", (key, want) => {
    expect(isConfigMapKey(key)).toEqual(want);
  });
});
