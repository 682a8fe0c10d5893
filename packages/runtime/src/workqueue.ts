/**
 * Kubernetes' rate-limited work queue (client-go `util/workqueue`), for controllers fed by
 * informers: handlers `add` keys, a few workers `get` them, reconcile, and call `done`.
 *
 * The guarantees controllers rely on, as in client-go:
 * - **Deduplicated**: a key added again while it waits is queued once (the "dirty" set).
 * - **Never concurrent per key**: a key is handed to one worker at a time; added again while a
 *   worker has it, it is queued again when that worker calls `done` (and processed after).
 * - **Fair**: keys come out in the order they were first added.
 * - **Delayed adds** (`addAfter`): a key waits until its time, the earliest of several wins.
 * - **Rate-limited retries** (`addRateLimited`): per-key exponential back-off combined with an
 *   overall token bucket (client-go's `DefaultControllerRateLimiter`: 5 ms doubling up to
 *   1000 s per key, at most 10 retries per second with bursts of 100 overall); `forget` resets a
 *   key's back-off, `numRequeues` counts its failures. The limiters are in `rate-limiter.ts`, the
 *   delaying part in `delayer.ts`.
 * - **Shutdown**: `shutDown` refuses new keys and wakes waiting workers; keys still queued are
 *   still handed out (client-go's `Get` drains), `shutDownWithDrain` also waits for the keys being
 *   processed.
 *
 * Keys can be any value: `key(item)` turns an item into the string that identifies it (client-go
 * compares struct keys by value; default `String(item)`). Time comes from an injected
 * {@link Clock}, so tests drive back-off and delays with a `FakeClock`.
 *
 * Trace: a worker takes items outside the code that added them, so the queue carries the trace
 * context of the add with the item (the first add that had one while it waited; a delayed add or
 * a retry keeps the one of its `addAfter`/`addRateLimited` call), and `runWorkers`
 * (`run-workers.ts`) runs the reconcile in a new span of it. The reconcile an event triggers (and
 * its log lines and the gRPC calls it makes) thereby stays in the event's trace.
 *
 * With a prom-client registry, the queue exports client-go's workqueue metrics, labelled by the
 * queue's `name`: `workqueue_depth`, `workqueue_adds_total`, `workqueue_queue_duration_seconds`,
 * `workqueue_work_duration_seconds`, `workqueue_unfinished_work_seconds`,
 * `workqueue_longest_running_processor_seconds` and `workqueue_retries_total`
 * (`workqueue-metrics.ts`).
 */
import type { Registry } from "prom-client";
import { type Clock, systemClock } from "./clock.js";
import { createDelayer } from "./delayer.js";
import { defaultControllerRateLimiter, type RateLimiter } from "./rate-limiter.js";
import { currentTrace, type TraceContext } from "./trace.js";
import { queueMetrics } from "./workqueue-metrics.js";

/** Options of {@link createWorkQueue}. */
export interface WorkQueueOptions<T> {
  /** The queue's name: the `name` label of its metrics (client-go's names: `serviceaccount`, `root_ca_cert_publisher`). */
  readonly name: string;
  /** The identity of an item (equal keys are the same work); default `String(item)`. */
  readonly key?: (item: T) => string;
  /** Time for delays, back-off and metrics; default the system clock. */
  readonly clock?: Clock;
  /** Retry policy of `addRateLimited`; default {@link defaultControllerRateLimiter} on `clock`. */
  readonly rateLimiter?: RateLimiter;
  /** Registers the workqueue metrics here (shared by every queue on the registry). */
  readonly metrics?: Registry;
}

/** A rate-limited work queue (client-go `TypedRateLimitingInterface`). */
export interface WorkQueue<T> {
  /** The queue's name. */
  readonly name: string;
  /** Queues `item` unless its key is already queued (or the queue is shut down). */
  add(item: T): void;
  /** Queues `item` after `delayMs` milliseconds (at once for `delayMs <= 0`); the earliest time wins. */
  addAfter(item: T, delayMs: number): void;
  /** Queues `item` after the rate limiter's delay for it (a retry). */
  addRateLimited(item: T): void;
  /** Resets the back-off of `item` (call after a success or when giving up). */
  forget(item: T): void;
  /** How many times `item` was retried since it was last forgotten. */
  numRequeues(item: T): number;
  /**
   * The next item, waiting until there is one; `undefined` once the queue is shut down and empty.
   * The caller must call {@link WorkQueue.done} with it when finished.
   */
  get(): Promise<T | undefined>;
  /** Marks `item` finished; if it was added meanwhile it is queued again. */
  done(item: T): void;
  /**
   * The trace context of the add that queued `item` (see the module comment), while a worker has
   * it (between `get` and `done`); undefined when it was added outside any trace.
   */
  traceOf(item: T): TraceContext | undefined;
  /** Items waiting to be handed out (not counting delayed or processing ones). */
  len(): number;
  /** Items waiting for their `addAfter` time. */
  delayedLen(): number;
  /** Refuses new items, drops delayed ones and wakes waiting `get` calls. Idempotent. */
  shutDown(): void;
  /** {@link WorkQueue.shutDown}, then resolves once no item is being processed. */
  shutDownWithDrain(): Promise<void>;
  /** True after {@link WorkQueue.shutDown}. */
  shuttingDown(): boolean;
}

/** Creates a work queue. */
export function createWorkQueue<T extends NonNullable<unknown> = string>(
  options: WorkQueueOptions<T>,
): WorkQueue<T> {
  const clock = options.clock ?? systemClock;
  const keyOf = options.key ?? ((item: T) => String(item));
  const limiter = options.rateLimiter ?? defaultControllerRateLimiter(clock);
  const m = options.metrics === undefined ? undefined : queueMetrics(options.metrics, options.name);

  /** Keys in hand-out order. */
  let queue: string[] = [];
  let head = 0;
  /** Keys that need processing (queued, or added again while processing), with their item. */
  const dirty = new Map<string, T>();
  /** The trace of the add that made a key dirty (the first add with one). */
  const dirtyTraces = new Map<string, TraceContext>();
  /** Keys handed out and not yet done, with when they were handed out and their trace. */
  const processing = new Map<string, { item: T; since: number; trace: TraceContext | undefined }>();
  /** When each dirty key was added (queue latency). */
  const addedAt = new Map<string, number>();
  const waiters: Array<(item: T | undefined) => void> = [];
  const drainWaiters: Array<() => void> = [];
  let closed = false;

  // Delayed items (addAfter, retries) wait here and are added when due.
  const delayer = createDelayer<T>(clock, (item, trace) => add(item, trace));

  const pushQueue = (key: string) => {
    const waiter = waiters.shift();
    if (waiter !== undefined) {
      handOut(key, waiter);
      return;
    }
    queue.push(key);
  };
  const handOut = (key: string, to: (item: T | undefined) => void) => {
    const item = dirty.get(key)!;
    dirty.delete(key);
    const trace = dirtyTraces.get(key);
    dirtyTraces.delete(key);
    const now = clock.now();
    processing.set(key, { item, since: now, trace });
    if (m !== undefined) {
      m.depth.dec();
      const at = addedAt.get(key);
      if (at !== undefined) m.queueDuration.observe(Math.max(0, now - at) / 1000);
    }
    addedAt.delete(key);
    to(item);
  };
  const notifyDrained = () => {
    if (processing.size === 0) for (const w of drainWaiters.splice(0)) w();
  };

  const add = (item: T, trace: TraceContext | undefined = currentTrace()) => {
    if (closed) return;
    const key = keyOf(item);
    // The key is dirty from here on (or already was): the first add with a trace gives it its trace.
    if (trace !== undefined && !dirtyTraces.has(key)) dirtyTraces.set(key, trace);
    if (dirty.has(key)) return;
    m?.adds.inc();
    m?.depth.inc();
    addedAt.set(key, clock.now());
    dirty.set(key, item);
    if (processing.has(key)) return;
    pushQueue(key);
  };

  const addAfter = (item: T, delayMs: number) => {
    if (closed) return;
    // client-go counts every delayed add as a retry.
    m?.retries.inc();
    if (delayMs <= 0) {
      add(item);
      return;
    }
    delayer.add(item, keyOf(item), clock.now() + delayMs, currentTrace());
  };

  const shutDown = () => {
    if (closed) return;
    closed = true;
    delayer.stop();
    // Waiting workers see the end; client-go's Get hands out what is still queued first, and
    // a waiting worker only waits when nothing is queued.
    for (const w of waiters.splice(0)) w(undefined);
  };

  const queue_ = {
    name: options.name,
    add: (item: T) => add(item),
    addAfter,
    addRateLimited(item: T) {
      addAfter(item, limiter.when(keyOf(item)));
    },
    forget(item: T) {
      limiter.forget(keyOf(item));
    },
    numRequeues: (item: T) => limiter.numRequeues(keyOf(item)),
    get(): Promise<T | undefined> {
      if (head < queue.length) {
        const key = queue[head++]!;
        if (head > 1024 && head * 2 > queue.length) {
          queue = queue.slice(head);
          head = 0;
        }
        return new Promise((resolve) => handOut(key, resolve));
      }
      if (closed) return Promise.resolve(undefined);
      return new Promise((resolve) => waiters.push(resolve));
    },
    done(item: T) {
      const key = keyOf(item);
      const p = processing.get(key);
      if (p === undefined) return;
      processing.delete(key);
      m?.workDuration.observe(Math.max(0, clock.now() - p.since) / 1000);
      // Added again while processing: its turn comes now (also after shutDown, as in
      // client-go, so a draining worker still sees the latest state).
      if (dirty.has(key)) pushQueue(key);
      notifyDrained();
    },
    traceOf: (item: T) => processing.get(keyOf(item))?.trace,
    len: () => queue.length - head,
    delayedLen: () => delayer.size(),
    shutDown,
    shutDownWithDrain(): Promise<void> {
      shutDown();
      if (processing.size === 0) return Promise.resolve();
      return new Promise((resolve) => drainWaiters.push(resolve));
    },
    shuttingDown: () => closed,
  } satisfies WorkQueue<T>;
  m?.sources.add(() => {
    const now = clock.now();
    let total = 0;
    let longest = 0;
    for (const p of processing.values()) {
      const s = Math.max(0, now - p.since) / 1000;
      total += s;
      longest = Math.max(longest, s);
    }
    return { unfinished: total, longest };
  });
  return queue_;
}
