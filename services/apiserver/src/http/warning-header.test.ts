import { describe, expect, it } from "vitest";
import { formatWarning, quoteWarningText, toHeaderLatin1, warningHeaderValues } from "./warning-header.js";

describe("Warning headers", () => {
  it.each([
    ["plain", '"plain"'],
    ['unknown field "spec.foo"', '"unknown field \\"spec.foo\\""'],
    ["back\\slash", '"back\\\\slash"'],
    ["ünïcode", '"ünïcode"'],
  ])("quotes %s as %s", (text, quoted) => {
    expect(quoteWarningText(text)).toBe(quoted);
  });

  it("formats code 299 with the agent -", () => {
    expect(formatWarning("requested expiration of 7800 seconds shortened to 7200 seconds")).toBe(
      '299 - "requested expiration of 7800 seconds shortened to 7200 seconds"',
    );
  });

  it("drops empty, control-character and duplicate texts", () => {
    expect(warningHeaderValues(["a", "", "a", "b\nc", "tab\tok", "b"])).toEqual([
      '299 - "a"',
      '299 - "tab\tok"',
      '299 - "b"',
    ]);
  });

  it("truncates very long texts", () => {
    const [value] = warningHeaderValues(["x".repeat(5000)]);
    expect(value).toBe(`299 - "${"x".repeat(4096)}..."`);
  });

  it("hands UTF-8 to Node as Latin-1 bytes", () => {
    expect(toHeaderLatin1("abc")).toBe("abc");
    const latin = toHeaderLatin1("é");
    expect(Buffer.from(latin, "latin1").toString("utf8")).toBe("é");
  });
});
