/**
 * One watcher: a cursor walking the shared history from a revision, replaying what is kept and
 * then following new commits as they are woken. A watcher holds no queue of its own: the events it
 * has not consumed yet are the history between its cursor and the current revision, which is
 * bounded by the history limit; the lag limit cuts off a consumer that stops reading.
 */
import type { EventRing } from "./event-ring.js";
import { StorageError, type StorageEvent } from "./storage.js";

/** What a watcher reads from the index. */
export interface WatchSource {
  readonly history: EventRing;
  /** The current revision. */
  revision(): number;
  /** True once the store closed. */
  closed(): boolean;
  /** Set of functions called after every commit and on close; the watcher adds its own. */
  readonly wakers: Set<() => void>;
  /** Revisions committed after the watch started that it may leave unconsumed. */
  readonly lagLimit: number;
}

/**
 * The events of keys with `prefix` after `afterRevision`, then live ones until `signal` aborts
 * (the iteration then ends cleanly). Throws ERR_COMPACTED when a revision it must read is no longer
 * kept — at the start (history older than kept) or later (the consumer fell behind: more than
 * `lagLimit` revisions committed after the watch started are unconsumed) — with the oldest kept
 * revision as `current`; throws ERR_CLOSED when the store closes. `startedAt` is the revision
 * when the watch was asked for: replaying older history is not "falling behind", only revisions
 * committed after the watch began count against the lag limit.
 */
export async function* watchHistory(
  source: WatchSource,
  prefix: string,
  afterRevision: number,
  signal: AbortSignal,
  startedAt: number,
): AsyncGenerator<StorageEvent, void, undefined> {
  let cursor = afterRevision;
  let wakeUp: (() => void) | undefined;
  const wake = () => {
    const w = wakeUp;
    wakeUp = undefined;
    w?.();
  };
  source.wakers.add(wake);
  signal.addEventListener("abort", wake);
  try {
    for (;;) {
      if (signal.aborted) return;
      if (source.closed()) throw new StorageError("ERR_CLOSED", "storage is closed");
      const { history } = source;
      if (cursor < history.base) {
        throw new StorageError(
          "ERR_COMPACTED",
          `watch from revision ${afterRevision}: revision ${cursor + 1} has been compacted; the oldest revision kept is ${history.base}`,
          history.base,
        );
      }
      const revision = source.revision();
      const behind = revision - Math.max(cursor, startedAt);
      if (behind > source.lagLimit) {
        throw new StorageError(
          "ERR_COMPACTED",
          `watch fell behind by ${behind} revisions (limit ${source.lagLimit}) at revision ${cursor}; watch again from there`,
          history.base,
        );
      }
      if (cursor < revision) {
        cursor++;
        const event = history.at(cursor)!;
        if (event.kv.key.startsWith(prefix)) yield event;
        continue;
      }
      await new Promise<void>((resolve) => {
        wakeUp = resolve;
      });
    }
  } finally {
    source.wakers.delete(wake);
    signal.removeEventListener("abort", wake);
  }
}
