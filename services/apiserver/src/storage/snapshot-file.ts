/**
 * The snapshot file: `snapshot-<revision>.snap`, the whole state at one revision plus the history
 * the outbox still needs. Layout (README.md, "Snapshot"): the 8 magic bytes `TPSNP001`, a header
 * record, one kv record per key in key order, the retained history as put/delete records (puts
 * with their previous value), and an end record that counts the records before it. A snapshot is
 * written whole via a temporary file and rename, so any damage in it is corruption.
 */
import { join } from "node:path";
import { writeFileAtomic } from "./durable-file.js";
import { decodeFrame, encodeRecords, RecordKind, type StorageRecord } from "./record-codec.js";
import { eventOfRecord, prevOfSnapshotRecord, recordOfEvent } from "./record-events.js";
import { type KeyValue, StorageError, type StorageEvent } from "./storage.js";

/** The first 8 bytes of every snapshot file. */
export const SNAPSHOT_MAGIC = Buffer.from("TPSNP001", "latin1");
const NAME = /^snapshot-([0-9a-f]{16})\.snap$/;
/** Records encoded per write while streaming a snapshot out. */
const CHUNK_RECORDS = 4096;

/** The file name of the snapshot at `revision`. */
export function snapshotFileName(revision: number): string {
  return `snapshot-${revision.toString(16).padStart(16, "0")}.snap`;
}

/** The revision named by a snapshot file name, or undefined if `name` is not a snapshot. */
export function parseSnapshotFileName(name: string): number | undefined {
  const m = NAME.exec(name);
  return m === null ? undefined : Number.parseInt(m[1]!, 16);
}

/** The contents of a snapshot. */
export interface Snapshot {
  readonly revision: number;
  /** Key-values in key order. */
  readonly kvs: KeyValue[];
  /** Retained history, consecutive and ending at `revision` (possibly empty). */
  readonly history: StorageEvent[];
}

/** Writes the snapshot at `revision` into `dir` atomically and returns its path. */
export async function writeSnapshot(
  dir: string,
  revision: number,
  kvs: Iterable<KeyValue>,
  history: Iterable<StorageEvent>,
  fsync: boolean,
): Promise<string> {
  const path = join(dir, snapshotFileName(revision));
  await writeFileAtomic(path, snapshotChunks(revision, kvs, history), { fsync });
  return path;
}

function* snapshotChunks(
  revision: number,
  kvs: Iterable<KeyValue>,
  history: Iterable<StorageEvent>,
): Generator<Uint8Array> {
  yield SNAPSHOT_MAGIC;
  yield encodeRecords([marker(RecordKind.header, revision, 0)]);
  let count = 0;
  let batch: StorageRecord[] = [];
  const flush = () => {
    count += batch.length;
    const out = encodeRecords(batch);
    batch = [];
    return out;
  };
  for (const kv of kvs) {
    batch.push({
      kind: RecordKind.kv,
      revision: kv.modRevision,
      createRevision: kv.createRevision,
      prevModRevision: 0,
      key: kv.key,
      value: kv.value,
    });
    if (batch.length === CHUNK_RECORDS) yield flush();
  }
  for (const e of history) {
    batch.push(recordOfEvent(e, true));
    if (batch.length === CHUNK_RECORDS) yield flush();
  }
  if (batch.length > 0) yield flush();
  yield encodeRecords([marker(RecordKind.end, revision, count)]);
}

function marker(kind: typeof RecordKind.header | typeof RecordKind.end, revision: number, count: number) {
  return { kind, revision, createRevision: count, prevModRevision: 0, key: "", value: new Uint8Array() };
}

/** Parses a snapshot file; any damage or inconsistency throws ERR_CORRUPT naming `file` and offset. */
export function readSnapshot(buf: Buffer, file: string, revision: number): Snapshot {
  const corrupt = (offset: number, what: string) =>
    new StorageError("ERR_CORRUPT", `snapshot ${file} is corrupt at offset ${offset}: ${what}`);
  if (buf.length < SNAPSHOT_MAGIC.length || !buf.subarray(0, SNAPSHOT_MAGIC.length).equals(SNAPSHOT_MAGIC)) {
    throw corrupt(0, "not a tokenplane snapshot (bad magic)");
  }
  const header = decodeFrame(buf, SNAPSHOT_MAGIC.length);
  if ("error" in header) throw corrupt(SNAPSHOT_MAGIC.length, `bad header record (${header.error})`);
  if (header.record.kind !== RecordKind.header || header.record.revision !== revision) {
    throw corrupt(SNAPSHOT_MAGIC.length, `header is not at revision ${revision}`);
  }
  const kvs: KeyValue[] = [];
  const history: StorageEvent[] = [];
  let offset = header.next;
  let count = 0;
  for (;;) {
    const frame = decodeFrame(buf, offset);
    if ("error" in frame) throw corrupt(offset, `bad record (${frame.error})`);
    const r = frame.record;
    if (r.kind === RecordKind.end) {
      if (r.revision !== revision || r.createRevision !== count)
        throw corrupt(offset, "end record does not match");
      if (frame.next !== buf.length) throw corrupt(frame.next, "data after the end record");
      break;
    }
    if (r.kind === RecordKind.kv) {
      const prevKey = kvs.at(-1)?.key;
      if (history.length > 0 || (prevKey !== undefined && prevKey >= r.key) || r.revision > revision) {
        throw corrupt(offset, `key-value "${r.key}" out of order`);
      }
      kvs.push(
        Object.freeze({
          key: r.key,
          value: r.value,
          createRevision: r.createRevision,
          modRevision: r.revision,
        }),
      );
    } else if (r.kind === RecordKind.put || r.kind === RecordKind.delete) {
      const prevRevision = history.at(-1)?.revision;
      if (prevRevision !== undefined && r.revision !== prevRevision + 1) {
        throw corrupt(offset, `history revision ${r.revision} does not follow ${prevRevision}`);
      }
      const result = eventOfRecord(r, prevOfSnapshotRecord(r));
      if ("error" in result) throw corrupt(offset, result.error);
      history.push(result.event);
    } else {
      throw corrupt(offset, `unexpected record kind ${r.kind}`);
    }
    count++;
    offset = frame.next;
  }
  const lastEvent = history.at(-1);
  if (lastEvent !== undefined && lastEvent.revision !== revision) {
    throw corrupt(
      offset,
      `history ends at ${lastEvent.revision}, not at the snapshot's revision ${revision}`,
    );
  }
  return { revision, kvs, history };
}
