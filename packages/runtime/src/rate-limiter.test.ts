import { describe, expect, it } from "vitest";
import { FakeClock } from "./clock.js";
import {
  bucketRateLimiter,
  defaultControllerRateLimiter,
  itemExponentialFailureRateLimiter,
  maxOfRateLimiter,
} from "./rate-limiter.js";
import { fixedRateLimiter } from "./test-rate-limiter.js";

describe("itemExponentialFailureRateLimiter", () => {
  it("doubles from 5 ms and caps at 1000 s, per key, as client-go's default", () => {
    const l = itemExponentialFailureRateLimiter();
    const delays = Array.from({ length: 22 }, () => l.when("a"));
    expect(delays.slice(0, 5)).toEqual([5, 10, 20, 40, 80]);
    // 5 ms · 2^17 = 655.36 s, 2^18 would be 1310.72 s > 1000 s.
    expect(delays[17]).toBe(655_360);
    expect(delays[18]).toBe(1_000_000);
    expect(delays[21]).toBe(1_000_000);
    expect(l.numRequeues("a")).toBe(22);
    expect(l.when("b")).toBe(5);
    l.forget("a");
    expect(l.numRequeues("a")).toBe(0);
    expect(l.when("a")).toBe(5);
  });

  it("caps instead of overflowing after very many failures", () => {
    const l = itemExponentialFailureRateLimiter(1, 50);
    for (let i = 0; i < 2000; i++) l.when("x");
    expect(l.when("x")).toBe(50);
  });
});

describe("bucketRateLimiter", () => {
  it("lets a burst through, then spaces retries at 1/qps, and refills with time", async () => {
    const clock = new FakeClock(1_000_000);
    const l = bucketRateLimiter(10, 3, clock);
    expect([l.when("a"), l.when("b"), l.when("c")]).toEqual([0, 0, 0]);
    // The bucket is empty: the next ones wait 100 ms, 200 ms, ... (reservations queue up).
    expect(l.when("d")).toBeCloseTo(100, 6);
    expect(l.when("e")).toBeCloseTo(200, 6);
    expect(l.numRequeues("d")).toBe(0);
    // 1 s later 10 tokens were earned, minus the 2 owed; the bucket holds at most 3.
    await clock.advance(1_000);
    expect([l.when("f"), l.when("g"), l.when("h")]).toEqual([0, 0, 0]);
    expect(l.when("i")).toBeCloseTo(100, 6);
  });
});

describe("maxOfRateLimiter / defaultControllerRateLimiter", () => {
  it("takes the longest delay and the largest requeue count", () => {
    const l = maxOfRateLimiter(fixedRateLimiter(7), itemExponentialFailureRateLimiter(5, 1000));
    expect([l.when("a"), l.when("a"), l.when("a")]).toEqual([7, 10, 20]);
    expect(l.numRequeues("a")).toBe(3);
    l.forget("a");
    expect(l.numRequeues("a")).toBe(0);
  });

  it("default: per-key back-off while the bucket has tokens, the bucket once it is drained", () => {
    const clock = new FakeClock(0);
    const l = defaultControllerRateLimiter(clock);
    expect(l.when("a")).toBe(5);
    expect(l.when("a")).toBe(10);
    // 98 more distinct keys drain the burst of 100.
    for (let i = 0; i < 98; i++) expect(l.when(`k${i}`)).toBe(5);
    expect(l.when("z")).toBeCloseTo(100, 6);
  });
});
