import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { FakeClock } from "./clock.js";
import { itemExponentialFailureRateLimiter } from "./rate-limiter.js";
import { createWorkQueue } from "./workqueue.js";

/** Lets pending promise callbacks run. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("createWorkQueue", () => {
  it("hands keys out first-in first-out and queues a key only once while it waits", async () => {
    const q = createWorkQueue<string>({ name: "t", clock: new FakeClock() });
    for (const k of ["a", "b", "a", "c", "b"]) q.add(k);
    expect(q.len()).toBe(3);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(["a", "b", "c"]);
    expect(q.len()).toBe(0);
  });

  it("never hands a key to two workers: re-added while processing, it comes back after done", async () => {
    const q = createWorkQueue<string>({ name: "t", clock: new FakeClock() });
    q.add("a");
    const first = await q.get();
    expect(first).toBe("a");
    q.add("a");
    q.add("a");
    expect(q.len()).toBe(0);
    let second: string | undefined;
    void q.get().then((v) => {
      second = v;
    });
    await tick();
    expect(second).toBeUndefined();
    q.done("a");
    await tick();
    expect(second).toBe("a");
    q.done("a");
    expect(q.len()).toBe(0);
  });

  it("wakes a waiting worker when a key arrives", async () => {
    const q = createWorkQueue<string>({ name: "t", clock: new FakeClock() });
    const got = q.get();
    q.add("x");
    expect(await got).toBe("x");
  });

  it("identifies items by their key function", async () => {
    const q = createWorkQueue<{ ns: string; name: string }>({
      name: "t",
      clock: new FakeClock(),
      key: (i) => `${i.ns}/${i.name}`,
    });
    q.add({ ns: "a", name: "x" });
    q.add({ ns: "a", name: "x" });
    q.add({ ns: "b", name: "x" });
    expect(q.len()).toBe(2);
    expect(await q.get()).toEqual({ ns: "a", name: "x" });
  });

  it("delays addAfter until its time; the earliest time wins; zero delay is immediate", async () => {
    const clock = new FakeClock(0);
    const q = createWorkQueue<string>({ name: "t", clock });
    q.addAfter("a", 100);
    q.addAfter("a", 50);
    q.addAfter("a", 500);
    q.addAfter("b", 70);
    q.addAfter("c", 0);
    expect(q.len()).toBe(1);
    expect(q.delayedLen()).toBe(2);
    await clock.advance(49);
    expect(q.len()).toBe(1);
    await clock.advance(1);
    expect(q.len()).toBe(2);
    await clock.advance(20);
    expect(q.len()).toBe(3);
    expect(q.delayedLen()).toBe(0);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(["c", "a", "b"]);
    // The superseded 100 ms and 500 ms entries do not bring "a" back.
    await clock.advance(1_000);
    expect(q.len()).toBe(0);
  });

  it("retries with the rate limiter's delay, and forget resets the back-off", async () => {
    const clock = new FakeClock(0);
    const q = createWorkQueue<string>({
      name: "t",
      clock,
      rateLimiter: itemExponentialFailureRateLimiter(5, 1000),
    });
    q.addRateLimited("a");
    q.addRateLimited("a");
    expect(q.numRequeues("a")).toBe(2);
    // The first call asked for 5 ms, the second for 10 ms: the earlier stays.
    await clock.advance(4);
    expect(q.len()).toBe(0);
    await clock.advance(1);
    expect(q.len()).toBe(1);
    q.forget("a");
    expect(q.numRequeues("a")).toBe(0);
  });

  it("on shutDown refuses new keys, still hands out queued ones, then says it is over", async () => {
    const clock = new FakeClock(0);
    const q = createWorkQueue<string>({ name: "t", clock });
    const waiting = createWorkQueue<string>({ name: "t2", clock });
    const parked = waiting.get();
    waiting.shutDown();
    expect(await parked).toBeUndefined();

    q.add("a");
    q.addAfter("late", 10);
    q.shutDown();
    q.add("b");
    expect(q.shuttingDown()).toBe(true);
    expect(await q.get()).toBe("a");
    expect(await q.get()).toBeUndefined();
    await clock.advance(100);
    expect(await q.get()).toBeUndefined();
  });

  it("shutDownWithDrain waits for the keys being processed", async () => {
    const q = createWorkQueue<string>({ name: "t", clock: new FakeClock() });
    q.add("a");
    const a = await q.get();
    let drained = false;
    void q.shutDownWithDrain().then(() => {
      drained = true;
    });
    await tick();
    expect(drained).toBe(false);
    q.done(a!);
    await tick();
    expect(drained).toBe(true);
  });

  it("exports client-go's workqueue metrics labelled by name", async () => {
    const clock = new FakeClock(10_000);
    const registry = new Registry();
    const q = createWorkQueue<string>({ name: "serviceaccount", clock, metrics: registry });
    createWorkQueue<string>({ name: "other", clock, metrics: registry });
    q.add("a");
    q.add("b");
    q.add("a");
    await clock.advance(2_000);
    const a = await q.get();
    await clock.advance(3_000);
    q.addRateLimited("c");
    const value = async (metric: string, name = "serviceaccount") => {
      const m = await registry.getSingleMetric(metric)!.get();
      return m.values.find((v) => v.labels.name === name && !("le" in v.labels))?.value;
    };
    expect(await value("workqueue_depth")).toBe(1);
    expect(await value("workqueue_adds_total")).toBe(2);
    expect(await value("workqueue_retries_total")).toBe(1);
    expect(await value("workqueue_unfinished_work_seconds")).toBe(3);
    expect(await value("workqueue_longest_running_processor_seconds")).toBe(3);
    expect(await value("workqueue_depth", "other")).toBe(0);
    q.done(a!);
    const work = await registry.getSingleMetric("workqueue_work_duration_seconds")!.get();
    const sum = work.values.find(
      (v) =>
        v.labels.name === "serviceaccount" &&
        (v as { metricName?: string }).metricName === "workqueue_work_duration_seconds_sum",
    );
    expect(sum?.value).toBe(3);
    const latency = await registry.getSingleMetric("workqueue_queue_duration_seconds")!.get();
    const lsum = latency.values.find(
      (v) =>
        v.labels.name === "serviceaccount" &&
        (v as { metricName?: string }).metricName === "workqueue_queue_duration_seconds_sum",
    );
    expect(lsum?.value).toBe(2);
  });
});
