import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration.js";

describe("parseDuration", () => {
  const good: Array<[string, number]> = [
    ["0", 0],
    ["-0", 0],
    ["500ms", 500],
    ["10s", 10_000],
    ["1m", 60_000],
    ["1h", 3_600_000],
    ["1h30m", 5_400_000],
    ["1.5h", 5_400_000],
    ["2h45m30.5s", 9_930_500],
    [".5s", 500],
    ["1.s", 1_000],
    ["1500us", 1.5],
    ["1500µs", 1.5],
    ["1500μs", 1.5],
    ["2000000ns", 2],
    ["-2m", -120_000],
    ["+3s", 3_000],
    ["1m1m", 120_000],
  ];
  it.each(good)("parses %s", (text, ms) => {
    expect(parseDuration(text)).toEqual({ value: ms });
  });

  const bad = ["", "1", "10", "abc", "1d", "h", ".s", "1h 30m", "--1s", "1.2.3s", "1S", " 1s"];
  it.each(bad)("rejects %j", (text) => {
    expect(parseDuration(text)).toEqual({
      error: `not a duration (use Go syntax such as 1h30m, 10s, 500ms): "${text}"`,
    });
  });
});

describe("formatDuration", () => {
  const cases: Array<[number, string]> = [
    [0, "0s"],
    [500, "500ms"],
    [1.5, "1.5ms"],
    [1_000, "1s"],
    [1_500, "1.5s"],
    [60_000, "1m0s"],
    [90_000, "1m30s"],
    [3_600_000, "1h0m0s"],
    [5_400_000, "1h30m0s"],
    [172_800_000, "48h0m0s"],
    [-120_000, "-2m0s"],
  ];
  it.each(cases)("formats %d as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("round-trips through parseDuration", () => {
    for (const [ms] of cases) expect(parseDuration(formatDuration(ms))).toEqual({ value: ms });
  });
});
