/**
 * The one scheduler loop of the kubelet-sim: every pod start, token refresh, deletion, workload
 * call and node heartbeat is an entry in one min-heap keyed by due time, and one loop sleeps on
 * the injected clock until the earliest is due. No per-pod `setTimeout`: memory is one small entry
 * per pending timer, and the loop costs one clock sleep whatever the number of pods.
 *
 * Cancelling is lazy (the entry is marked and skipped when it comes up). Callbacks run in due
 * order (ties in scheduling order) and must not throw; the loop yields to the event loop every
 * {@link BATCH} callbacks so a burst of due timers does not starve I/O.
 */
import type { Clock } from "@tokenplane/runtime";

/** Callbacks run before the loop yields to the event loop. */
const BATCH = 256;
/** Longest single sleep, milliseconds, so a wall-clock jump is noticed within a minute. */
const MAX_SLEEP_MS = 60_000;

/** A scheduled callback; {@link Timer.cancel} keeps it from running. */
export interface Timer {
  readonly due: number;
  cancel(): void;
  /** True until it ran or was cancelled. */
  pending(): boolean;
}

interface Entry extends Timer {
  readonly seq: number;
  readonly fn: () => void;
  state: "pending" | "done";
}

/** The scheduler loop. */
export interface TimerQueue {
  /** Runs `fn` at `due` (milliseconds since the epoch; at once when in the past). */
  at(due: number, fn: () => void): Timer;
  /** Runs `fn` after `delayMs`. */
  after(delayMs: number, fn: () => void): Timer;
  /** Timers not yet run or cancelled (cancelled ones still in the heap are not counted). */
  size(): number;
  /** Starts the loop; resolves when {@link TimerQueue.stop} was called. */
  run(): Promise<void>;
  /** Stops the loop; pending timers are dropped. */
  stop(): void;
}

/** Options of {@link createTimerQueue}. */
export interface TimerQueueOptions {
  readonly clock: Clock;
  /** Called with an error a callback threw (the loop goes on). */
  readonly onError?: (err: unknown) => void;
}

/** Creates the loop (it runs once {@link TimerQueue.run} is called). */
export function createTimerQueue(options: TimerQueueOptions): TimerQueue {
  const { clock } = options;
  const heap: Entry[] = [];
  let seq = 0;
  let live = 0;
  let stopped = false;
  let wake: AbortController | undefined;

  const less = (a: Entry, b: Entry) => a.due < b.due || (a.due === b.due && a.seq < b.seq);
  const push = (e: Entry) => {
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  };
  const pop = (): Entry | undefined => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  };
  /** Drops cancelled entries at the top. */
  const peek = (): Entry | undefined => {
    while (heap.length > 0 && heap[0]!.state === "done") pop();
    return heap[0];
  };

  const queue: TimerQueue = {
    at(due, fn) {
      const entry: Entry = {
        due,
        seq: seq++,
        fn,
        state: "pending",
        cancel() {
          if (entry.state === "pending") live--;
          entry.state = "done";
        },
        pending: () => entry.state === "pending",
      };
      live++;
      const head = peek();
      push(entry);
      // A new earliest timer: cut the loop's sleep short.
      if (head === undefined || less(entry, head)) wake?.abort();
      return entry;
    },
    after(delayMs, fn) {
      return queue.at(clock.now() + delayMs, fn);
    },
    size: () => live,
    async run() {
      stopped = false;
      while (!stopped) {
        let ran = 0;
        let head = peek();
        while (!stopped && head !== undefined && head.due <= clock.now() && ran < BATCH) {
          pop();
          head.state = "done";
          live--;
          try {
            head.fn();
          } catch (err) {
            options.onError?.(err);
          }
          ran++;
          head = peek();
        }
        if (stopped) break;
        if (ran >= BATCH) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          continue;
        }
        const delay = head === undefined ? MAX_SLEEP_MS : Math.min(MAX_SLEEP_MS, head.due - clock.now());
        wake = new AbortController();
        try {
          await clock.sleep(delay, wake.signal);
        } catch {
          // woken early: a sooner timer arrived, or stop()
        }
        wake = undefined;
      }
    },
    stop() {
      stopped = true;
      heap.length = 0;
      live = 0;
      wake?.abort();
    },
  };
  return queue;
}
