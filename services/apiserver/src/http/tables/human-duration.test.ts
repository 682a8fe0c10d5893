import { describe, expect, it } from "vitest";
import { humanDuration, translateTimestampSince } from "./human-duration.js";

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe("humanDuration (duration.HumanDuration)", () => {
  const cases: [number, string][] = [
    [-2 * s, "<invalid>"],
    [-1500, "0s"],
    [-999, "0s"],
    [0, "0s"],
    [999, "0s"],
    [5 * s, "5s"],
    [119 * s + 999, "119s"],
    [2 * m, "2m"],
    [3 * m + 2 * s, "3m2s"],
    [9 * m + 59 * s, "9m59s"],
    [10 * m, "10m"],
    [10 * m + 30 * s, "10m"],
    [179 * m + 59 * s, "179m"],
    [3 * h, "3h"],
    [3 * h + 2 * m, "3h2m"],
    [7 * h + 59 * m, "7h59m"],
    [8 * h, "8h"],
    [8 * h + 30 * m, "8h"],
    [47 * h + 59 * m, "47h"],
    [48 * h, "2d"],
    [2 * d + 3 * h, "2d3h"],
    [7 * d + 23 * h, "7d23h"],
    [8 * d, "8d"],
    [8 * d + 5 * h, "8d"],
    [729 * d, "729d"],
    [730 * d, "2y"],
    [744 * d, "2y14d"],
    [8 * 365 * d - d, "7y364d"],
    [8 * 365 * d, "8y"],
    [20 * 365 * d, "20y"],
  ];
  for (const [ms, want] of cases) {
    it(`${ms} ms → ${want}`, () => expect(humanDuration(ms)).toBe(want));
  }

  it("translateTimestampSince: <unknown> without a timestamp", () => {
    expect(translateTimestampSince(undefined, 0)).toBe("<unknown>");
    expect(translateTimestampSince(1_000_000, 1_000_000 + 65 * s)).toBe("65s");
  });
});
