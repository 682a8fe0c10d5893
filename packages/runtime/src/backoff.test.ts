import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff.js";

describe("backoffDelay", () => {
  const cases: Array<[number, number]> = [
    [0, 250],
    [1, 250],
    [2, 500],
    [3, 1_000],
    [4, 2_000],
    [7, 16_000],
    [8, 30_000],
    [1_000, 30_000],
  ];
  it.each(cases)("attempt %d waits %d ms (base 250, cap 30000)", (attempt, ms) => {
    expect(backoffDelay(attempt, 250, 30_000)).toBe(ms);
  });
});
