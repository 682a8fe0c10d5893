/**
 * The in-memory heart of both storage backends: current key-values in key order, the revision
 * counter, the watch history and the watchers. It does no I/O. A backend first {@link
 * MvccIndex.plan}s a batch of writes (decides each one's outcome and revision without changing
 * anything), makes the planned changes durable in its own way, then {@link MvccIndex.commit}s them;
 * only then do reads and watchers see them.
 */
import { EventRing } from "./event-ring.js";
import { SortedKeys } from "./sorted-keys.js";
import {
  type KeyValue,
  type RangeOptions,
  type RangeResult,
  StorageError,
  type StorageEvent,
} from "./storage.js";
import { watchHistory } from "./watch-history.js";

/** Default number of events of watch history kept. */
export const DEFAULT_HISTORY_LIMIT = 100_000;
/** Default number of events a watcher may fall behind before it is cut off. */
export const DEFAULT_WATCH_LAG_LIMIT = 10_000;

/** Options shared by both backends for history and watches. */
export interface MvccIndexOptions {
  /**
   * Events of watch history kept in memory (count, default 100_000). A watch may start after any
   * revision from the oldest kept one; older ones fail with ERR_COMPACTED.
   */
  readonly historyLimit?: number;
  /**
   * Revisions a watcher may fall behind (committed after its start but not yet consumed) before it
   * is cut off with ERR_COMPACTED (count, default 10_000).
   */
  readonly watchLagLimit?: number;
  /**
   * History after this revision is never dropped, whatever `historyLimit` says: the event outbox's
   * persisted watermark, so that an outage of the publisher loses no events. Memory (and, in the
   * file store, snapshot size) then grows with the publisher's lag. Default: nothing retained.
   */
  readonly retainFrom?: () => number;
}

/** One write of a batch; `traceparent` (the writer's, optional) goes into its event. */
export type WriteOp = (
  | { readonly type: "create"; readonly key: string; readonly value: Uint8Array }
  | {
      readonly type: "update";
      readonly key: string;
      readonly value: Uint8Array;
      readonly expectedModRevision?: number | undefined;
    }
  | { readonly type: "delete"; readonly key: string; readonly expectedModRevision?: number | undefined }
) & { readonly traceparent?: string | undefined };

/** The planned outcome of one write: the change it makes, or why it fails. */
export type PlannedWrite = { readonly event: StorageEvent } | { readonly error: StorageError };

/** The index; see the module comment. */
export class MvccIndex {
  private readonly values = new Map<string, KeyValue>();
  private readonly keys = new SortedKeys();
  private readonly history: EventRing;
  private readonly historyLimit: number;
  private readonly watchLagLimit: number;
  private readonly retainFrom: () => number;
  private readonly wakers = new Set<() => void>();
  private rev = 0;
  private closedFlag = false;

  constructor(options: MvccIndexOptions = {}) {
    this.historyLimit = positive(options.historyLimit ?? DEFAULT_HISTORY_LIMIT, "historyLimit");
    this.watchLagLimit = positive(options.watchLagLimit ?? DEFAULT_WATCH_LAG_LIMIT, "watchLagLimit");
    this.retainFrom = options.retainFrom ?? (() => Number.POSITIVE_INFINITY);
    this.history = new EventRing(0, Math.min(this.historyLimit, 4096));
  }

  /** The revision of the last committed change. */
  get revision(): number {
    return this.rev;
  }

  /** The oldest revision a watch may start after. */
  get oldestRevision(): number {
    return this.history.base;
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** Number of keys. */
  get size(): number {
    return this.keys.size;
  }

  /** Current value of `key`. */
  get(key: string): KeyValue | undefined {
    return this.values.get(key);
  }

  /** Keys with `prefix` in key order, paged by `limit` and `startKey`. */
  range(prefix: string, options: RangeOptions = {}): RangeResult {
    const limit = options.limit ?? 0;
    if (!Number.isInteger(limit) || limit < 0) throw new TypeError(`invalid range limit: ${limit}`);
    const start = options.startKey !== undefined && options.startKey > prefix ? options.startKey : prefix;
    const kvs: KeyValue[] = [];
    let more = false;
    for (let i = this.keys.lowerBound(start); ; i++) {
      const key = this.keys.at(i);
      if (key === undefined || !key.startsWith(prefix)) break;
      if (limit > 0 && kvs.length === limit) {
        more = true;
        break;
      }
      kvs.push(this.values.get(key)!);
    }
    return { kvs, revision: this.rev, more };
  }

  /** All key-values in key order (for snapshots). */
  *entries(): IterableIterator<KeyValue> {
    for (let i = 0; i < this.keys.size; i++) yield this.values.get(this.keys.at(i)!)!;
  }

  /** The kept history after `revision` (exclusive), oldest first (for snapshots). */
  historySince(revision: number): IterableIterator<StorageEvent> {
    return this.history.since(revision);
  }

  /**
   * Decides the outcome of each write in order, as if the earlier ones had been committed, and
   * assigns the successful ones consecutive revisions after the current one. Changes nothing.
   */
  plan(ops: readonly WriteOp[]): PlannedWrite[] {
    const overlay = new Map<string, KeyValue | null>();
    const current = (key: string) => {
      const o = overlay.get(key);
      return o === undefined ? this.values.get(key) : (o ?? undefined);
    };
    let next = this.rev + 1;
    const out: PlannedWrite[] = [];
    for (const op of ops) {
      const prev = current(op.key);
      if (op.type === "create") {
        if (prev !== undefined) {
          out.push({ error: new StorageError("ERR_KEY_EXISTS", `key "${op.key}" already exists`, prev) });
          continue;
        }
      } else {
        if (prev === undefined) {
          out.push({ error: new StorageError("ERR_KEY_NOT_FOUND", `key "${op.key}" not found`) });
          continue;
        }
        if (op.expectedModRevision !== undefined && op.expectedModRevision !== prev.modRevision) {
          const msg = `key "${op.key}" has modRevision ${prev.modRevision}, expected ${op.expectedModRevision}`;
          out.push({ error: new StorageError("ERR_CONFLICT", msg, prev) });
          continue;
        }
      }
      const revision = next++;
      const value = op.type === "delete" ? prev!.value : op.value;
      const kv: KeyValue = Object.freeze({
        key: op.key,
        value,
        createRevision: prev?.createRevision ?? revision,
        modRevision: revision,
      });
      const type = op.type === "delete" ? "delete" : "put";
      const event: StorageEvent =
        prev === undefined ? { type, kv, revision } : { type, kv, prevKv: prev, revision };
      if (op.traceparent !== undefined) event.traceparent = op.traceparent;
      overlay.set(op.key, op.type === "delete" ? null : kv);
      out.push({ event });
    }
    return out;
  }

  /**
   * Applies changes planned by {@link plan} (or replayed from disk): each must carry the next
   * revision. Wakes the watchers and trims the history.
   */
  commit(events: readonly StorageEvent[]): void {
    if (events.length === 0) return;
    for (const e of events) {
      if (e.revision !== this.rev + 1)
        throw new RangeError(`commit of revision ${e.revision} after ${this.rev}`);
      if (e.type === "put") {
        if (!this.values.has(e.kv.key)) this.keys.insert(e.kv.key);
        this.values.set(e.kv.key, e.kv);
      } else {
        this.values.delete(e.kv.key);
        this.keys.remove(e.kv.key);
      }
      this.history.push(e);
      this.rev = e.revision;
    }
    this.trim();
    for (const wake of this.wakers) wake();
  }

  /**
   * Loads a snapshot into an empty index: the key-values as of `revision` and the history events
   * kept with them (consecutive, ending at `revision`).
   */
  restore(revision: number, kvs: Iterable<KeyValue>, history: readonly StorageEvent[]): void {
    if (this.rev !== 0 || this.keys.size !== 0) throw new Error("restore into a non-empty index");
    for (const kv of kvs) {
      this.values.set(kv.key, Object.freeze(kv));
      this.keys.insert(kv.key);
    }
    this.rev = revision;
    this.history.reset(revision - history.length);
    for (const e of history) this.history.push(e);
    if (this.history.last !== revision) throw new RangeError("snapshot history does not end at its revision");
    this.trim();
  }

  /**
   * Changes to keys with `prefix` after `afterRevision`; see `Storage.watch`. Each watcher is a
   * cursor into the shared history, so its queue costs no memory of its own; it is cut off with
   * ERR_COMPACTED when it falls more than `watchLagLimit` revisions behind, or when the history it
   * still has to read is trimmed away.
   */
  watch(prefix: string, afterRevision: number, signal: AbortSignal): AsyncIterable<StorageEvent> {
    if (!Number.isInteger(afterRevision) || afterRevision < 0) {
      throw new TypeError(`invalid watch revision: ${afterRevision}`);
    }
    return watchHistory(
      {
        history: this.history,
        revision: () => this.rev,
        closed: () => this.closedFlag,
        wakers: this.wakers,
        lagLimit: this.watchLagLimit,
      },
      prefix,
      afterRevision,
      signal,
      Math.max(afterRevision, this.rev),
    );
  }

  /** Ends every watch with ERR_CLOSED. */
  close(): void {
    this.closedFlag = true;
    for (const wake of this.wakers) wake();
  }

  /** Drops history beyond `historyLimit`, except what `retainFrom` still needs. */
  private trim(): void {
    if (this.history.length <= this.historyLimit) return;
    const retain = this.retainFrom();
    while (this.history.length > this.historyLimit && this.history.first()!.revision <= retain) {
      this.history.shift();
    }
  }
}

function positive(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw new TypeError(`${name} must be a positive integer, got ${n}`);
  return n;
}
