import { describe, expect, it } from "vitest";
import { FakeClock } from "./clock.js";
import { createLogger } from "./logger.js";
import { itemExponentialFailureRateLimiter } from "./rate-limiter.js";
import { runWorkers } from "./run-workers.js";
import { fixedRateLimiter } from "./test-rate-limiter.js";
import { currentTrace, newTrace, runWithTrace, type TraceContext } from "./trace.js";
import { createWorkQueue } from "./workqueue.js";

const log = createLogger({ service: "workqueue-test", level: "silent", pretty: false });

/** Lets pending promise callbacks run. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

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
    const q = createWorkQueue<string>({ name: "t", clock, rateLimiter: fixedRateLimiter(10) });
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
