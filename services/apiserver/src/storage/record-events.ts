/**
 * Conversion between committed changes ({@link StorageEvent}) and put/delete records. A log put
 * does not carry the previous value (the replayed state has it); a snapshot's history has no state
 * before it, so its puts carry `prevValue`. Both carry the writer's `traceparent` when the change
 * had one.
 */
import { RecordKind, type StorageRecord } from "./record-codec.js";
import type { KeyValue, StorageEvent } from "./storage.js";

/** The record of a change; `withPrevValue` for snapshot history. */
export function recordOfEvent(e: StorageEvent, withPrevValue: boolean): StorageRecord {
  return {
    kind: e.type === "put" ? RecordKind.put : RecordKind.delete,
    revision: e.revision,
    createRevision: e.kv.createRevision,
    prevModRevision: e.prevKv?.modRevision ?? 0,
    key: e.kv.key,
    value: e.kv.value,
    prevValue: withPrevValue && e.type === "put" ? e.prevKv?.value : undefined,
    traceparent: e.traceparent,
  };
}

/** The previous value a snapshot history record carries, or undefined for a create. */
export function prevOfSnapshotRecord(r: StorageRecord): KeyValue | undefined {
  if (r.prevModRevision === 0) return undefined;
  const value = r.kind === RecordKind.delete ? r.value : r.prevValue;
  if (value === undefined) return undefined;
  return Object.freeze({
    key: r.key,
    value,
    createRevision: r.createRevision,
    modRevision: r.prevModRevision,
  });
}

/**
 * The change a put/delete record describes, given the key's value before it (`prev`). Returns a
 * reason instead when the record contradicts `prev` (which only damage or a bug can cause).
 */
export function eventOfRecord(
  r: StorageRecord,
  prev: KeyValue | undefined,
): { event: StorageEvent } | { error: string } {
  if ((prev?.modRevision ?? 0) !== r.prevModRevision) {
    return {
      error: `key "${r.key}" was at modRevision ${prev?.modRevision ?? 0}, record expects ${r.prevModRevision}`,
    };
  }
  if (r.prevModRevision >= r.revision)
    return { error: `previous modRevision ${r.prevModRevision} is not older` };
  const createRevision = prev?.createRevision ?? r.revision;
  if (r.createRevision !== createRevision) {
    return { error: `key "${r.key}" has createRevision ${createRevision}, record says ${r.createRevision}` };
  }
  if (r.kind === RecordKind.delete && prev === undefined) return { error: `delete of absent key "${r.key}"` };
  const kv: KeyValue = Object.freeze({ key: r.key, value: r.value, createRevision, modRevision: r.revision });
  const type = r.kind === RecordKind.delete ? "delete" : "put";
  const event: StorageEvent =
    prev === undefined
      ? { type, kv, revision: r.revision }
      : { type, kv, prevKv: prev, revision: r.revision };
  if (r.traceparent !== undefined) event.traceparent = r.traceparent;
  return { event };
}
