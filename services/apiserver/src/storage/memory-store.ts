/**
 * The in-memory storage backend (`--storage-backend=memory`, and tests): the shared {@link
 * MvccIndex} with nothing behind it. Every write commits at once; nothing survives the process.
 */
import { MvccIndex, type MvccIndexOptions, type WriteOp } from "./mvcc-index.js";
import { checkKey, checkModRevision, copyValue } from "./op-checks.js";
import {
  type KeyValue,
  type RangeOptions,
  type RangeResult,
  type Storage,
  StorageError,
  type StorageWriteOptions,
} from "./storage.js";

/**
 * Options of {@link createMemoryStore}: `historyLimit` (events, default 100_000),
 * `watchLagLimit` (revisions, default 10_000; a watcher further behind ends with ERR_COMPACTED)
 * and `retainFrom`, as documented on {@link MvccIndexOptions}.
 */
export type MemoryStoreOptions = MvccIndexOptions;

/** Creates an empty in-memory store; revisions start at 1. */
export function createMemoryStore(options: MemoryStoreOptions = {}): Storage {
  const index = new MvccIndex(options);

  const open = () => {
    if (index.closed) throw new StorageError("ERR_CLOSED", "storage is closed");
  };
  const write = async (op: WriteOp): Promise<KeyValue> => {
    open();
    const [planned] = index.plan([op]);
    if (planned === undefined) throw new Error("plan returned no outcome");
    if ("error" in planned) throw planned.error;
    index.commit([planned.event]);
    return planned.event.kv;
  };

  return {
    async get(key: string) {
      open();
      return index.get(key);
    },
    async range(prefix: string, options?: RangeOptions): Promise<RangeResult> {
      open();
      return index.range(prefix, options);
    },
    async create(key: string, value: Uint8Array, options?: StorageWriteOptions) {
      checkKey(key);
      return write({ type: "create", key, value: copyValue(value), traceparent: options?.traceparent });
    },
    async update(
      key: string,
      value: Uint8Array,
      expectedModRevision?: number,
      options?: StorageWriteOptions,
    ) {
      checkKey(key);
      checkModRevision(expectedModRevision);
      return write({
        type: "update",
        key,
        value: copyValue(value),
        expectedModRevision,
        traceparent: options?.traceparent,
      });
    },
    async delete(key: string, expectedModRevision?: number, options?: StorageWriteOptions) {
      checkKey(key);
      checkModRevision(expectedModRevision);
      return write({ type: "delete", key, expectedModRevision, traceparent: options?.traceparent });
    },
    watch(prefix: string, afterRevision: number, signal: AbortSignal) {
      open();
      return index.watch(prefix, afterRevision, signal);
    },
    currentRevision() {
      open();
      return index.revision;
    },
    oldestRevision() {
      open();
      return index.oldestRevision;
    },
    async close() {
      index.close();
    },
  };
}
