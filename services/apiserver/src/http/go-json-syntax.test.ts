import { describe, expect, it } from "vitest";
import { goJsonSyntaxError, goQuoteChar } from "./go-json-syntax.js";

const check = (s: string) => goJsonSyntaxError(new TextEncoder().encode(s));

describe("goJsonSyntaxError", () => {
  it.each([
    ['{"a":1}'],
    [' {"a": [1, 2.5, -3e+2, "x\\n\\u00e9", true, false, null, {}]} '],
    ["[]"],
    ['"s"'],
    ["0"],
    ["-0.5E10"],
  ])("accepts %s", (s) => {
    expect(check(s)).toBeUndefined();
  });

  // Texts of Go's encoding/json scanner (scanner.go), which Kubernetes' decoder reports.
  it.each([
    ["", "unexpected end of JSON input"],
    ["{", "unexpected end of JSON input"],
    ['{"a":', "unexpected end of JSON input"],
    ['{"a":1', "unexpected end of JSON input"],
    ['"abc', "unexpected end of JSON input"],
    ["x", "invalid character 'x' looking for beginning of value"],
    ["{}}", "invalid character '}' after top-level value"],
    ['{"a": }', "invalid character '}' looking for beginning of value"],
    ["{a:1}", "invalid character 'a' looking for beginning of object key string"],
    ["{'a':1}", "invalid character '\\'' looking for beginning of object key string"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b":2}', `invalid character '"' after object key:value pair`],
    ["[1 2]", "invalid character '2' after array element"],
    ["[1,]", "invalid character ']' looking for beginning of value"],
    ["tru", "unexpected end of JSON input"],
    ["trux", "invalid character 'x' in literal true (expecting 'e')"],
    ["nul1", "invalid character '1' in literal null (expecting 'l')"],
    ["fals", "unexpected end of JSON input"],
    ["-", "unexpected end of JSON input"],
    ["-x", "invalid character 'x' in numeric literal"],
    ["1.x", "invalid character 'x' after decimal point in numeric literal"],
    ["1ex", "invalid character 'x' in exponent of numeric literal"],
    ["01", "invalid character '1' after top-level value"],
    ['"a\tb"', "invalid character '\\t' in string literal"],
    ['"\\x"', "invalid character 'x' in string escape code"],
    ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
  ])("%j → %s", (s, message) => {
    expect(check(s)).toBe(message);
  });

  it("names bytes that are not UTF-8 in hex", () => {
    expect(goJsonSyntaxError(new Uint8Array([0xff]))).toBe(
      "invalid character '\\xff' looking for beginning of value",
    );
  });
});

describe("goQuoteChar", () => {
  it.each([
    [0x27, "'\\''"],
    [0x22, `'"'`],
    [0x0a, "'\\n'"],
    [0x01, "'\\x01'"],
    [0x61, "'a'"],
    [0x5c, "'\\\\'"],
  ])("%i → %s", (c, quoted) => {
    expect(goQuoteChar(c)).toBe(quoted);
  });
});
