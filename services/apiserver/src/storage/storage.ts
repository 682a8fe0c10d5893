/**
 * The storage interface of the apiserver: a revisioned key-value store shaped like etcd v3, so
 * that the embedded file store and an etcd backend are interchangeable. Values are opaque bytes
 * (the registry stores protobuf); every committed change gets the next revision of one strictly
 * increasing counter, which the API exposes as `resourceVersion`.
 */

/** A stored key with its revisions (etcd's mvccpb.KeyValue). */
export interface KeyValue {
  key: string;
  value: Uint8Array;
  /** Revision of the change that created the key (stays the same across updates). */
  createRevision: number;
  /** Revision of the last change to the key: the object's resourceVersion. */
  modRevision: number;
}

/** One committed change, as watches and the event outbox see it. */
export interface StorageEvent {
  type: "put" | "delete";
  /** For put: the new value; for delete: the last value before deletion, modRevision = the delete's revision. */
  kv: KeyValue;
  /** The previous value (undefined for a create). */
  prevKv?: KeyValue;
  /** Revision of this change. */
  revision: number;
  /**
   * The W3C `traceparent` of the writer (the span that made the change), when it gave one: the
   * outbox publishes the change's event inside that trace, so that the chain request → event →
   * consumer stays one trace although publishing happens later, outside the request.
   */
  traceparent?: string;
}

/** Options of the write methods of {@link Storage}. */
export interface StorageWriteOptions {
  /**
   * The writer's W3C `traceparent`, kept with the change (its {@link StorageEvent}, and the file
   * store's log record); opaque to the store. Default: none.
   */
  readonly traceparent?: string;
}

/** A consistent read of a key range. */
export interface RangeResult {
  kvs: KeyValue[];
  /** The store revision the read reflects. */
  revision: number;
  /** True when `limit` cut the result short. */
  more: boolean;
}

/** Paging options of {@link Storage.range}. */
export interface RangeOptions {
  /** At most this many keys (0 = no limit). */
  limit?: number;
  /** Start at this key (inclusive), for paging with `continue`. */
  startKey?: string;
}

/** Stable error codes; the registry maps them to Kubernetes Status errors. */
export type StorageErrorCode =
  /** `create` of a key that exists (`current` is the existing value). */
  | "ERR_KEY_EXISTS"
  /** `update`/`delete` of a key that does not exist. */
  | "ERR_KEY_NOT_FOUND"
  /** `expectedModRevision` differs from the key's modRevision (`current` is the existing value). */
  | "ERR_CONFLICT"
  /**
   * A watch asked for history older than what is kept, or a watcher fell too far behind and was
   * cut off (`current` is the oldest revision kept: a watch may resume after it).
   */
  | "ERR_COMPACTED"
  /** The store was closed. */
  | "ERR_CLOSED"
  /** The files on disk are damaged; the message names the file and byte offset. */
  | "ERR_CORRUPT"
  /** A read or write of the files failed; a failed write left no trace in the store. */
  | "ERR_IO";

/** The one error type of the storage layer, with a stable {@link StorageErrorCode}. */
export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    /** For ERR_CONFLICT / ERR_KEY_EXISTS: the current value; for ERR_COMPACTED: the oldest revision kept. */
    readonly current?: KeyValue | number,
  ) {
    super(message);
    this.name = "StorageError";
  }
}

/**
 * A revisioned key-value store. Returned `KeyValue`s are frozen and shared with the store: treat
 * their `value` bytes as read-only. Values passed in are copied.
 */
export interface Storage {
  /** Current value of a key, or undefined. */
  get(key: string): Promise<KeyValue | undefined>;
  /** All keys with the prefix, in key order, as of one revision. */
  range(prefix: string, options?: RangeOptions): Promise<RangeResult>;
  /**
   * Creates a key; ERR_KEY_EXISTS if present. Resolves once durable. `options.traceparent` is kept
   * with the change (see {@link StorageEvent.traceparent}).
   */
  create(key: string, value: Uint8Array, options?: StorageWriteOptions): Promise<KeyValue>;
  /**
   * Replaces a key's value. With `expectedModRevision`, fails with ERR_CONFLICT when the key has
   * changed since; ERR_KEY_NOT_FOUND when the key is missing. Resolves once durable. `options` as
   * for `create`.
   */
  update(
    key: string,
    value: Uint8Array,
    expectedModRevision?: number,
    options?: StorageWriteOptions,
  ): Promise<KeyValue>;
  /**
   * Deletes a key (optionally only at a revision); resolves with the deleted value, its
   * modRevision set to the revision of the delete (as Kubernetes returns a deleted object with the
   * delete's resourceVersion). ERR_KEY_NOT_FOUND / ERR_CONFLICT as for `update`. `options` as for
   * `create`.
   */
  delete(key: string, expectedModRevision?: number, options?: StorageWriteOptions): Promise<KeyValue>;
  /**
   * Changes to keys with the prefix after `afterRevision` (exclusive), in revision order, then
   * live changes until the signal aborts (the iteration then ends without an error).
   * ERR_COMPACTED (thrown from the iterator) when history older than what is kept is asked for, or
   * when the consumer falls too far behind (it may watch again from the last revision it saw);
   * ERR_CLOSED when the store closes.
   */
  watch(prefix: string, afterRevision: number, signal: AbortSignal): AsyncIterable<StorageEvent>;
  /** The revision of the last committed change (0 for an empty store). */
  currentRevision(): number;
  /** The oldest revision a watch may start after. */
  oldestRevision(): number;
  /** Flushes and releases files; later calls fail with ERR_CLOSED. */
  close(): Promise<void>;
}
