import { describe, expect, it } from "vitest";
import { sortedJson } from "./canonical-json.js";
import { aggregateMessage, goQuote, goQuoteList } from "./go-format.js";

describe("goQuote", () => {
  it.each([
    ["plain", '"plain"'],
    ['say "hi"\\', '"say \\"hi\\"\\\\"'],
    ["tab\tnl\ncr\r", '"tab\\tnl\\ncr\\r"'],
    ["\x00\x1f\x7f", '"\\x00\\x1f\\x7f"'],
    ["é ü ☃", '"é ü ☃"'],
    ["\u00a0\u2028", '"\\u00a0\\u2028"'],
    ["\u{e0001}", '"\\U000e0001"'],
  ])("%j → %s", (input, want) => {
    expect(goQuote(input)).toBe(want);
  });

  it("formats slices like Go %q", () => {
    expect(goQuoteList(["a", "b"])).toBe('["a" "b"]');
    expect(goQuoteList(["not-the-api"])).toBe('["not-the-api"]');
    expect(goQuoteList([])).toBe("[]");
  });
});

describe("aggregateMessage", () => {
  it.each([
    [[], ""],
    [["one"], "one"],
    [["same", "same"], "same"],
    [["a", "b", "a"], "[a, b]"],
  ])("%j → %j", (input, want) => {
    expect(aggregateMessage(input)).toBe(want);
  });
});

describe("sortedJson", () => {
  it("sorts keys at every level, omits undefined, keeps array order", () => {
    expect(sortedJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined }, c: null })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1,"c":null}',
    );
  });

  it("escapes like Go's encoding/json, repeatedly", () => {
    for (let i = 0; i < 3; i++) expect(sortedJson("a&b\u2028")).toBe('"a\\u0026b\\u2028"');
  });

  it.each([
    ["plain", '"plain"'],
    ['quote " and backslash \\', '"quote \\" and backslash \\\\"'],
    ["newline\n and \u0001", '"newline\\n and \\u0001"'],
    ["<tag> & \u2029", '"\\u003ctag\\u003e \\u0026 \\u2029"'],
    ["é ☃", '"é ☃"'],
  ])("writes the string %j as Go does", (input, want) => {
    expect(sortedJson(input)).toBe(want);
  });

  it("refuses values JSON cannot carry", () => {
    expect(() => sortedJson({ a: Number.POSITIVE_INFINITY })).toThrow(TypeError);
    expect(() => sortedJson({ a: () => 1 })).toThrow(TypeError);
  });
});
