import { describe, expect, it } from "vitest";
import { FakeClock } from "./clock.js";
import { createDelayer } from "./delayer.js";
import { newTrace, type TraceContext } from "./trace.js";

describe("createDelayer", () => {
  it("hands items over in time order when due, the earliest time per key winning", async () => {
    const clock = new FakeClock(0);
    const ready: string[] = [];
    const d = createDelayer<string>(clock, (item) => ready.push(item));
    d.add("a", "a", 100, undefined);
    d.add("a", "a", 30, undefined);
    d.add("a", "a", 500, undefined);
    d.add("b", "b", 20, undefined);
    expect(d.size()).toBe(2);
    await clock.advance(19);
    expect(ready).toEqual([]);
    await clock.advance(11);
    expect(ready).toEqual(["b", "a"]);
    expect(d.size()).toBe(0);
    // The superseded 100 ms and 500 ms entries are stale and never handed over.
    await clock.advance(1_000);
    expect(ready).toEqual(["b", "a"]);
  });

  it("passes each item's trace along", async () => {
    const clock = new FakeClock(0);
    const t = newTrace();
    const ready: [string, TraceContext | undefined][] = [];
    const d = createDelayer<string>(clock, (item, trace) => ready.push([item, trace]));
    d.add("a", "a", 10, t);
    d.add("b", "b", 10, undefined);
    await clock.advance(10);
    expect(ready).toEqual([
      ["a", t],
      ["b", undefined],
    ]);
  });

  it("drops everything on stop and takes no more items", async () => {
    const clock = new FakeClock(0);
    const ready: string[] = [];
    const d = createDelayer<string>(clock, (item) => ready.push(item));
    d.add("a", "a", 10, undefined);
    d.stop();
    d.add("b", "b", 10, undefined);
    expect(d.size()).toBe(0);
    await clock.advance(100);
    expect(ready).toEqual([]);
  });
});
