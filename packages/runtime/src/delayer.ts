/**
 * The delaying part of the work queue (client-go `util/workqueue` `delaying_queue.go`): items wait
 * until their time, one entry per key (the earliest time wins), in a heap ordered by time with a
 * single timer on the injected {@link Clock} armed for the next one. Due items go to `onReady`.
 */
import type { Clock } from "./clock.js";
import type { TraceContext } from "./trace.js";

/** Items held until their time; see {@link createDelayer}. */
export interface Delayer<T> {
  /**
   * Holds `item` (identified by `key`) until `readyAt` (clock milliseconds); a key already held
   * for an earlier or equal time keeps that time. `trace` goes to `onReady` with the item.
   */
  add(item: T, key: string, readyAt: number, trace: TraceContext | undefined): void;
  /** Items held (one per key). */
  size(): number;
  /** Drops every held item and the timer; `onReady` is not called again. Idempotent. */
  stop(): void;
}

interface Delayed<T> {
  readonly item: T;
  readonly key: string;
  readyAt: number;
  /** The trace of the `addAfter` call. */
  readonly trace: TraceContext | undefined;
}

/** Holds items until their time, then passes each to `onReady` (in time order). */
export function createDelayer<T>(
  clock: Clock,
  onReady: (item: T, trace: TraceContext | undefined) => void,
): Delayer<T> {
  const delayed = new Map<string, Delayed<T>>();
  const heap: Delayed<T>[] = [];
  let timer: { due: number; abort: AbortController } | undefined;
  let stopped = false;

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
  /** Hands due items to `onReady` and arms the timer for the next one. */
  const pump = () => {
    if (stopped) return;
    const now = clock.now();
    for (let top = heapTop(); top !== undefined && top.readyAt <= now; top = heapTop()) {
      heapPop();
      delayed.delete(top.key);
      onReady(top.item, top.trace);
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

  return {
    add(item, key, readyAt, trace) {
      if (stopped) return;
      const existing = delayed.get(key);
      if (existing !== undefined && existing.readyAt <= readyAt) return;
      // A new entry (the old one, if any, is left in the heap and skipped as stale).
      const entry: Delayed<T> = { item, key, readyAt, trace };
      delayed.set(key, entry);
      heapPush(entry);
      pump();
    },
    size: () => delayed.size,
    stop() {
      stopped = true;
      timer?.abort.abort();
      timer = undefined;
      delayed.clear();
      heap.length = 0;
    },
  };
}
