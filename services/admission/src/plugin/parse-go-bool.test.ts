import { describe, expect, it } from "vitest";
import { parseGoBool } from "./parse-go-bool.js";

describe("parseGoBool (Go strconv.ParseBool, reference §3.2)", () => {
  const cases: Array<[input: string, expected: ReturnType<typeof parseGoBool>]> = [
    ["1", { value: true }],
    ["t", { value: true }],
    ["T", { value: true }],
    ["TRUE", { value: true }],
    ["true", { value: true }],
    ["True", { value: true }],
    ["0", { value: false }],
    ["f", { value: false }],
    ["F", { value: false }],
    ["FALSE", { value: false }],
    ["false", { value: false }],
    ["False", { value: false }],
    ["", { error: 'strconv.ParseBool: parsing "": invalid syntax' }],
    ["tRuE", { error: 'strconv.ParseBool: parsing "tRuE": invalid syntax' }],
    ["yes", { error: 'strconv.ParseBool: parsing "yes": invalid syntax' }],
    ["y", { error: 'strconv.ParseBool: parsing "y": invalid syntax' }],
    [" true", { error: 'strconv.ParseBool: parsing " true": invalid syntax' }],
    ["true\n", { error: 'strconv.ParseBool: parsing "true\\n": invalid syntax' }],
    ["2", { error: 'strconv.ParseBool: parsing "2": invalid syntax' }],
    ["on", { error: 'strconv.ParseBool: parsing "on": invalid syntax' }],
  ];
  it.each(cases)("%j → %j", (input, expected) => {
    expect(parseGoBool(input)).toEqual(expected);
  });
});
