import { describe, expect, it } from "vitest";
import { FakeClock, systemClock } from "./clock.js";

describe("systemClock", () => {
  it("reads the wall clock", () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it("sleeps at least the given time", async () => {
    const start = performance.now();
    await systemClock.sleep(20);
    expect(performance.now() - start).toBeGreaterThanOrEqual(19);
  });

  it("rejects with the abort reason", async () => {
    const ac = new AbortController();
    const p = systemClock.sleep(10_000, ac.signal);
    ac.abort(new Error("stop"));
    await expect(p).rejects.toThrow("stop");
  });

  it("rejects at once when already aborted", async () => {
    await expect(systemClock.sleep(10, AbortSignal.abort(new Error("gone")))).rejects.toThrow("gone");
  });
});

describe("FakeClock", () => {
  it("starts at the given time and stands still", () => {
    const clock = new FakeClock(1_000);
    expect(clock.now()).toBe(1_000);
    expect(clock.now()).toBe(1_000);
  });

  it("resolves sleeps only when time reaches them, in due order", async () => {
    const clock = new FakeClock(0);
    const order: string[] = [];
    void clock.sleep(300).then(() => order.push(`b@${clock.now()}`));
    void clock.sleep(100).then(() => order.push(`a@${clock.now()}`));
    void clock.sleep(1_000).then(() => order.push(`c@${clock.now()}`));
    expect(clock.pendingSleeps).toBe(3);
    await clock.advance(99);
    expect(order).toEqual([]);
    await clock.advance(201);
    expect(order).toEqual(["a@100", "b@300"]);
    expect(clock.now()).toBe(300);
    expect(clock.pendingSleeps).toBe(1);
  });

  it("handles a loop that sleeps again within one advance", async () => {
    const clock = new FakeClock(0);
    const ticks: number[] = [];
    void (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(100);
        ticks.push(clock.now());
      }
    })();
    await clock.advance(1_000);
    expect(ticks).toEqual([100, 200, 300]);
    expect(clock.now()).toBe(1_000);
  });

  it("resolves zero and negative sleeps at once", async () => {
    const clock = new FakeClock(5);
    await clock.sleep(0);
    await clock.sleep(-1);
    expect(clock.pendingSleeps).toBe(0);
  });

  it("rejects an aborted sleep and forgets it", async () => {
    const clock = new FakeClock(0);
    const ac = new AbortController();
    const p = clock.sleep(100, ac.signal);
    ac.abort(new Error("cancelled"));
    await expect(p).rejects.toThrow("cancelled");
    expect(clock.pendingSleeps).toBe(0);
  });

  it("set() jumps forward through due sleeps and may go backwards", async () => {
    const clock = new FakeClock(0);
    let woke = false;
    void clock.sleep(50).then(() => {
      woke = true;
    });
    await clock.set(60);
    expect(woke).toBe(true);
    await clock.set(10);
    expect(clock.now()).toBe(10);
  });

  it("refuses to advance backwards", async () => {
    await expect(new FakeClock().advance(-1)).rejects.toThrow("cannot move a clock backwards: -1");
  });
});
