import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { FakeClock } from "./clock.js";
import { createLogger } from "./logger.js";
import { currentTrace, newTrace, runWithTrace, type TraceContext } from "./trace.js";
import {
  bucketRateLimiter,
  createWorkQueue,
  defaultControllerRateLimiter,
  itemExponentialFailureRateLimiter,
  maxOfRateLimiter,
  type RateLimiter,
  runWorkers,
} from "./workqueue.js";

const log = createLogger({ service: "workqueue-test", level: "silent", pretty: false });

/** Lets pending promise callbacks run. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A limiter that always says the same delay (tests of the queue itself). */
const fixedLimiter = (ms: number): RateLimiter => {
  const counts = new Map<string, number>();
  return {
    when: (k) => {
      counts.set(k, (counts.get(k) ?? 0) + 1);
      return ms;
    },
    forget: (k) => void counts.delete(k),
    numRequeues: (k) => counts.get(k) ?? 0,
  };
};

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
    const l = maxOfRateLimiter(fixedLimiter(7), itemExponentialFailureRateLimiter(5, 1000));
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

describe("runWorkers", () => {
  it("runs N workers concurrently, one key at a time each, until the queue shuts down", async () => {
    const q = createWorkQueue<string>({ name: "t", clock: new FakeClock() });
    let running = 0;
    let most = 0;
    const seen: string[] = [];
    const release: Array<() => void> = [];
    const done = runWorkers(q, {
      workers: 3,
      log,
      sync: async (k) => {
        running++;
        most = Math.max(most, running);
        seen.push(k);
        await new Promise<void>((resolve) => release.push(resolve));
        running--;
      },
    });
    for (const k of ["a", "b", "c", "d", "e"]) q.add(k);
    await tick();
    expect(running).toBe(3);
    // "a" is being processed: adding it again does not start a second sync of it.
    q.add("a");
    await tick();
    expect(seen).toEqual(["a", "b", "c"]);
    while (seen.length < 6 || running > 0) {
      for (const r of release.splice(0)) r();
      await tick();
    }
    expect(seen.sort()).toEqual(["a", "a", "b", "c", "d", "e"]);
    expect(most).toBe(3);
    q.shutDown();
    await done;
  });

  it("retries failures with back-off and gives up after maxRetries", async () => {
    const clock = new FakeClock(0);
    const q = createWorkQueue<string>({
      name: "t",
      clock,
      rateLimiter: itemExponentialFailureRateLimiter(5, 1000),
    });
    const attempts: number[] = [];
    const done = runWorkers(q, {
      workers: 2,
      maxRetries: 3,
      log,
      sync: async () => {
        attempts.push(clock.now());
        throw new Error("boom");
      },
    });
    q.add("a");
    await tick();
    await clock.advance(1_000);
    // First try, then retries after 5, 10 and 20 ms; then it is given up (and forgotten).
    expect(attempts).toEqual([0, 5, 15, 35]);
    expect(q.numRequeues("a")).toBe(0);
    q.shutDown();
    await done;
  });

  it("forgets the back-off of a key that succeeds", async () => {
    const clock = new FakeClock(0);
    const q = createWorkQueue<string>({ name: "t", clock, rateLimiter: itemExponentialFailureRateLimiter() });
    let fail = 2;
    const done = runWorkers(q, {
      workers: 1,
      log,
      sync: async () => {
        if (fail-- > 0) throw new Error("not yet");
      },
    });
    q.add("a");
    await tick();
    await clock.advance(100);
    expect(fail).toBe(-1);
    expect(q.numRequeues("a")).toBe(0);
    q.shutDown();
    await done;
  });

  it("stops taking keys when its signal aborts", async () => {
    const q = createWorkQueue<string>({ name: "t", clock: new FakeClock() });
    const ac = new AbortController();
    const seen: string[] = [];
    const done = runWorkers(q, {
      workers: 1,
      log,
      signal: ac.signal,
      sync: async (k) => {
        seen.push(k);
        ac.abort();
      },
    });
    q.add("a");
    q.add("b");
    await done;
    expect(seen).toEqual(["a"]);
    expect(q.len()).toBe(1);
  });
});

describe("runWorkers: the trace of the add", () => {
  /** Runs one worker that records the trace each sync of a key runs in; `fail` makes a sync throw. */
  function traceRecorder(
    q: ReturnType<typeof createWorkQueue<string>>,
    fail: (key: string, n: number) => boolean = () => false,
  ) {
    const seen: [string, TraceContext | undefined][] = [];
    const done = runWorkers(q, {
      workers: 1,
      log,
      sync: async (k) => {
        seen.push([k, currentTrace()]);
        if (fail(k, seen.filter(([s]) => s === k).length)) throw new Error("again");
      },
    });
    return { seen, done };
  }
  const ids = (t: TraceContext | undefined) => (t === undefined ? undefined : [t.traceId, t.requestId]);

  it("runs each item in a new span of the trace it was added in, and one added outside a trace in none", async () => {
    const q = createWorkQueue<string>({ name: "t", clock: new FakeClock() });
    const t1 = newTrace("req-1");
    const t2 = newTrace("req-2");
    runWithTrace(t1, () => q.add("a"));
    q.add("b");
    runWithTrace(t2, () => q.add("a")); // deduplicated: "a" keeps the trace of the add that queued it
    q.add("c");
    runWithTrace(t2, () => q.add("c")); // queued without a trace: the first add with one gives it
    const { seen, done } = traceRecorder(q);
    await tick();
    expect(seen.map(([k, t]) => [k, ids(t)])).toEqual([
      ["a", [t1.traceId, "req-1"]],
      ["b", undefined],
      ["c", [t2.traceId, "req-2"]],
    ]);
    // A new span (child of the add's), not the add's own.
    expect(seen[0]![1]!.spanId).not.toBe(t1.spanId);
    expect(q.traceOf("a")).toBeUndefined(); // only while processing
    q.shutDown();
    await done;
  });

  it("gives an item added again while it is processed the trace of that add", async () => {
    const q = createWorkQueue<string>({ name: "t", clock: new FakeClock() });
    const t1 = newTrace();
    const t2 = newTrace();
    let release!: () => void;
    const seen: (string | undefined)[] = [];
    const done = runWorkers(q, {
      workers: 1,
      log,
      sync: async () => {
        seen.push(currentTrace()?.traceId);
        if (seen.length === 1) await new Promise<void>((resolve) => (release = resolve));
      },
    });
    runWithTrace(t1, () => q.add("a"));
    await tick();
    expect(q.traceOf("a")).toBe(t1);
    runWithTrace(t2, () => q.add("a"));
    release();
    await tick();
    expect(seen).toEqual([t1.traceId, t2.traceId]);
    q.shutDown();
    await done;
  });

  it("keeps the trace through a delayed add and through retries", async () => {
    const clock = new FakeClock(0);
    const q = createWorkQueue<string>({ name: "t", clock, rateLimiter: fixedLimiter(10) });
    const t1 = newTrace();
    const t2 = newTrace();
    const { seen, done } = traceRecorder(q, (k, n) => k === "a" && n <= 2);
    runWithTrace(t1, () => q.add("a"));
    runWithTrace(t2, () => q.addAfter("d", 50));
    await tick();
    await clock.advance(100);
    expect(seen.map(([k, t]) => [k, t?.traceId])).toEqual([
      ["a", t1.traceId],
      ["a", t1.traceId],
      ["a", t1.traceId],
      ["d", t2.traceId],
    ]);
    // Every attempt is a span of its own.
    expect(new Set(seen.map(([, t]) => t!.spanId)).size).toBe(4);
    q.shutDown();
    await done;
  });
});
