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
 *   key's back-off, `numRequeues` counts its failures.
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
 * a retry keeps the one of its `addAfter`/`addRateLimited` call), and {@link runWorkers} runs the
 * reconcile in a new span of it. The reconcile an event triggers (and its log lines and the gRPC
 * calls it makes) thereby stays in the event's trace.
 *
 * With a prom-client registry, the queue exports client-go's workqueue metrics, labelled by the
 * queue's `name`: `workqueue_depth`, `workqueue_adds_total`, `workqueue_queue_duration_seconds`,
 * `workqueue_work_duration_seconds`, `workqueue_unfinished_work_seconds`,
 * `workqueue_longest_running_processor_seconds` and `workqueue_retries_total`.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { type Clock, systemClock } from "./clock.js";
import type { Logger } from "./logger.js";
import { childOf, currentTrace, runWithTrace, type TraceContext } from "./trace.js";

/** Decides how long a key waits before it is retried (client-go `TypedRateLimiter`). */
export interface RateLimiter {
  /** The delay before the next retry of `key`, milliseconds; records the failure. */
  when(key: string): number;
  /** Stops tracking `key` (it succeeded or was given up). */
  forget(key: string): void;
  /** How many times `key` has been retried since it was last forgotten. */
  numRequeues(key: string): number;
}

/** First per-key back-off of client-go's default controller rate limiter, milliseconds. */
export const DEFAULT_ITEM_BACKOFF_BASE_MS = 5;
/** Largest per-key back-off of client-go's default controller rate limiter, milliseconds (1000 s). */
export const DEFAULT_ITEM_BACKOFF_MAX_MS = 1_000_000;
/** Overall retries per second of client-go's default controller rate limiter. */
export const DEFAULT_BUCKET_QPS = 10;
/** Burst of client-go's default controller rate limiter's token bucket. */
export const DEFAULT_BUCKET_BURST = 100;

/**
 * Per-key exponential back-off (client-go `ItemExponentialFailureRateLimiter`): the n-th failure
 * of a key (from 0) waits `baseMs · 2^n`, capped at `maxMs`.
 *
 * @param baseMs first delay, milliseconds; default 5
 * @param maxMs largest delay, milliseconds; default 1000000 (1000 s)
 */
export function itemExponentialFailureRateLimiter(
  baseMs = DEFAULT_ITEM_BACKOFF_BASE_MS,
  maxMs = DEFAULT_ITEM_BACKOFF_MAX_MS,
): RateLimiter {
  const failures = new Map<string, number>();
  return {
    when(key) {
      const exp = failures.get(key) ?? 0;
      failures.set(key, exp + 1);
      // 2^1024 is Infinity; client-go caps on overflow the same way.
      const backoff = baseMs * 2 ** Math.min(exp, 1023);
      return Number.isFinite(backoff) && backoff <= maxMs ? backoff : maxMs;
    },
    forget: (key) => void failures.delete(key),
    numRequeues: (key) => failures.get(key) ?? 0,
  };
}

/**
 * An overall token bucket (client-go `BucketRateLimiter` over golang.org/x/time/rate): `qps`
 * tokens per second, at most `burst` saved up (the bucket starts full). Each retry takes a token;
 * without one it waits until a token will be there (reservations may run the bucket negative, so
 * waits queue up fairly). Keys are not tracked (`numRequeues` is 0).
 *
 * @param qps tokens per second; default 10
 * @param burst bucket size; default 100
 */
export function bucketRateLimiter(
  qps = DEFAULT_BUCKET_QPS,
  burst = DEFAULT_BUCKET_BURST,
  clock: Clock = systemClock,
): RateLimiter {
  let tokens = burst;
  let last = clock.now();
  return {
    when() {
      const now = clock.now();
      // A clock that moved backwards restarts the accounting from now (x/time/rate does too).
      const elapsedMs = Math.max(0, now - last);
      last = now;
      tokens = Math.min(burst, tokens + (elapsedMs / 1000) * qps);
      tokens -= 1;
      return tokens >= 0 ? 0 : (-tokens / qps) * 1000;
    },
    forget() {},
    numRequeues: () => 0,
  };
}

/** The longest delay of several limiters (client-go `MaxOfRateLimiter`); requeues = the largest count. */
export function maxOfRateLimiter(...limiters: readonly RateLimiter[]): RateLimiter {
  return {
    when(key) {
      let delay = 0;
      // Every limiter records the failure, so call them all.
      for (const l of limiters) delay = Math.max(delay, l.when(key));
      return delay;
    },
    forget(key) {
      for (const l of limiters) l.forget(key);
    },
    numRequeues(key) {
      let n = 0;
      for (const l of limiters) n = Math.max(n, l.numRequeues(key));
      return n;
    },
  };
}

/**
 * client-go's `DefaultControllerRateLimiter`: the larger of a per-key back-off from 5 ms to
 * 1000 s and an overall bucket of 10 retries per second with bursts of 100.
 */
export function defaultControllerRateLimiter(clock: Clock = systemClock): RateLimiter {
  return maxOfRateLimiter(
    itemExponentialFailureRateLimiter(DEFAULT_ITEM_BACKOFF_BASE_MS, DEFAULT_ITEM_BACKOFF_MAX_MS),
    bucketRateLimiter(DEFAULT_BUCKET_QPS, DEFAULT_BUCKET_BURST, clock),
  );
}

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

interface Delayed<T> {
  readonly item: T;
  readonly key: string;
  readyAt: number;
  /** The trace of the `addAfter` call. */
  readonly trace: TraceContext | undefined;
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

  // Delayed items: one entry per key (earliest time wins), a heap ordered by time, one timer.
  const delayed = new Map<string, Delayed<T>>();
  const heap: Delayed<T>[] = [];
  let timer: { due: number; abort: AbortController } | undefined;

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

  // --- the delaying part (client-go delaying_queue.go) ---
  const heapLess = (a: Delayed<T>, b: Delayed<T>) => a.readyAt < b.readyAt;
  const heapPush = (d: Delayed<T>) => {
    heap.push(d);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!heapLess(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  };
  const heapPop = (): Delayed<T> | undefined => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let min = i;
        if (l < heap.length && heapLess(heap[l]!, heap[min]!)) min = l;
        if (r < heap.length && heapLess(heap[r]!, heap[min]!)) min = r;
        if (min === i) break;
        [heap[i], heap[min]] = [heap[min]!, heap[i]!];
        i = min;
      }
    }
    return top;
  };
  /** Drops heap entries superseded by an earlier time for the same key (lazy deletion). */
  const heapTop = (): Delayed<T> | undefined => {
    for (;;) {
      const top = heap[0];
      if (top === undefined || delayed.get(top.key) === top) return top;
      heapPop();
    }
  };
  /** Moves due items into the queue and arms the timer for the next one. */
  const pump = () => {
    if (closed) return;
    const now = clock.now();
    for (let top = heapTop(); top !== undefined && top.readyAt <= now; top = heapTop()) {
      heapPop();
      delayed.delete(top.key);
      add(top.item, top.trace);
    }
    const next = heapTop();
    if (next === undefined) {
      timer?.abort.abort();
      timer = undefined;
      return;
    }
    if (timer !== undefined && timer.due <= next.readyAt) return;
    timer?.abort.abort();
    const abort = new AbortController();
    const armed = { due: next.readyAt, abort };
    timer = armed;
    clock.sleep(next.readyAt - now, abort.signal).then(
      () => {
        if (timer === armed) timer = undefined;
        pump();
      },
      () => {},
    );
  };

  const addAfter = (item: T, delayMs: number) => {
    if (closed) return;
    // client-go counts every delayed add as a retry.
    m?.retries.inc();
    if (delayMs <= 0) {
      add(item);
      return;
    }
    const key = keyOf(item);
    const readyAt = clock.now() + delayMs;
    const existing = delayed.get(key);
    if (existing !== undefined && existing.readyAt <= readyAt) return;
    // A new entry (the old one, if any, is left in the heap and skipped as stale).
    const entry: Delayed<T> = { item, key, readyAt, trace: currentTrace() };
    delayed.set(key, entry);
    heapPush(entry);
    pump();
  };

  const shutDown = () => {
    if (closed) return;
    closed = true;
    timer?.abort.abort();
    timer = undefined;
    delayed.clear();
    heap.length = 0;
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
    delayedLen: () => delayed.size,
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

/** Options of {@link runWorkers}. */
export interface RunWorkersOptions<T> {
  /** Number of concurrent workers (client-go controllers' `Run(ctx, workers)`); at least 1. */
  readonly workers: number;
  /**
   * Reconciles one item. Resolving = done (the item's back-off is forgotten); throwing = retry
   * with `addRateLimited`, unless `maxRetries` is reached.
   */
  readonly sync: (item: T) => Promise<void>;
  /** Retries before an item is given up (forgotten and logged); default unlimited. */
  readonly maxRetries?: number;
  readonly log: Logger;
  /** Workers stop taking items once this aborts (the queue should be shut down too). */
  readonly signal?: AbortSignal;
}

/**
 * Runs `workers` loops that take items from `queue` and `sync` them, retrying failures with the
 * queue's rate limiter (client-go's `processNextWorkItem` pattern). Each item is processed in a new
 * span of the trace it was added in ({@link WorkQueue.traceOf}; outside any trace when it has
 * none), so a retry it schedules keeps that trace too. Resolves when every worker has stopped: the
 * queue was shut down and emptied, or `signal` aborted.
 */
export async function runWorkers<T extends NonNullable<unknown>>(
  queue: WorkQueue<T>,
  options: RunWorkersOptions<T>,
): Promise<void> {
  const { sync, log, signal, maxRetries } = options;
  const worker = async () => {
    while (signal?.aborted !== true) {
      const item = await queue.get();
      if (item === undefined) return;
      const trace = queue.traceOf(item);
      await (trace === undefined ? processItem(item) : runWithTrace(childOf(trace), () => processItem(item)));
    }
  };
  const processItem = async (item: T) => {
    try {
      await sync(item);
      queue.forget(item);
    } catch (err) {
      const requeues = queue.numRequeues(item);
      if (maxRetries === undefined || requeues < maxRetries) {
        log.warn({ err, queue: queue.name, item, requeues }, "sync failed; retrying");
        queue.addRateLimited(item);
      } else {
        log.error({ err, queue: queue.name, item, requeues }, "sync failed too often; giving up");
        queue.forget(item);
      }
    } finally {
      queue.done(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.workers) }, worker));
}

/** The series of one queue (prom-client's labelled children). */
interface QueueMetrics {
  depth: { inc(): void; dec(): void };
  adds: { inc(): void };
  queueDuration: { observe(seconds: number): void };
  workDuration: { observe(seconds: number): void };
  retries: { inc(): void };
  sources: Set<() => { unfinished: number; longest: number }>;
}

interface SharedMetrics {
  depth: Gauge<"name">;
  adds: Counter<"name">;
  queueDuration: Histogram<"name">;
  workDuration: Histogram<"name">;
  retries: Counter<"name">;
  sources: Map<string, Set<() => { unfinished: number; longest: number }>>;
}

const sharedByRegistry = new WeakMap<Registry, SharedMetrics>();

/** client-go's buckets for the workqueue latencies: 10 ns to 1000 s, ×10 each. */
const DURATION_BUCKETS = Array.from({ length: 12 }, (_, i) => 1e-8 * 10 ** i);

/** The workqueue metrics of one queue, registered once per registry and labelled by `name`. */
function queueMetrics(registry: Registry, name: string): QueueMetrics {
  let shared = sharedByRegistry.get(registry);
  if (shared === undefined) {
    const sources = new Map<string, Set<() => { unfinished: number; longest: number }>>();
    const sum = (queueName: string) => {
      let unfinished = 0;
      let longest = 0;
      for (const s of sources.get(queueName) ?? []) {
        const v = s();
        unfinished += v.unfinished;
        longest = Math.max(longest, v.longest);
      }
      return { unfinished, longest };
    };
    shared = {
      depth: new Gauge({
        name: "workqueue_depth",
        help: "Current depth of workqueue",
        labelNames: ["name"],
        registers: [registry],
      }),
      adds: new Counter({
        name: "workqueue_adds_total",
        help: "Total number of adds handled by workqueue",
        labelNames: ["name"],
        registers: [registry],
      }),
      queueDuration: new Histogram({
        name: "workqueue_queue_duration_seconds",
        help: "How long in seconds an item stays in workqueue before being requested.",
        labelNames: ["name"],
        buckets: DURATION_BUCKETS,
        registers: [registry],
      }),
      workDuration: new Histogram({
        name: "workqueue_work_duration_seconds",
        help: "How long in seconds processing an item from workqueue takes.",
        labelNames: ["name"],
        buckets: DURATION_BUCKETS,
        registers: [registry],
      }),
      retries: new Counter({
        name: "workqueue_retries_total",
        help: "Total number of retries handled by workqueue",
        labelNames: ["name"],
        registers: [registry],
      }),
      sources,
    };
    new Gauge({
      name: "workqueue_unfinished_work_seconds",
      help: "How many seconds of work has done that is in progress and hasn't been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.",
      labelNames: ["name"],
      registers: [registry],
      collect() {
        for (const queueName of sources.keys()) this.set({ name: queueName }, sum(queueName).unfinished);
      },
    });
    new Gauge({
      name: "workqueue_longest_running_processor_seconds",
      help: "How many seconds has the longest running processor for workqueue been running.",
      labelNames: ["name"],
      registers: [registry],
      collect() {
        for (const queueName of sources.keys()) this.set({ name: queueName }, sum(queueName).longest);
      },
    });
    sharedByRegistry.set(registry, shared);
  }
  let sources = shared.sources.get(name);
  if (sources === undefined) {
    sources = new Set();
    shared.sources.set(name, sources);
  }
  const labels = { name };
  // Series exist from the start (client-go reports 0 for a new queue).
  shared.depth.set(labels, 0);
  shared.adds.inc(labels, 0);
  shared.retries.inc(labels, 0);
  return {
    depth: shared.depth.labels(labels),
    adds: shared.adds.labels(labels),
    queueDuration: shared.queueDuration.labels(labels),
    workDuration: shared.workDuration.labels(labels),
    retries: shared.retries.labels(labels),
    sources,
  };
}
