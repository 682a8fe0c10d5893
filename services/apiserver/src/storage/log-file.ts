/**
 * The write-ahead log file: `wal-<base>.log`, holding the changes after revision `base` (the
 * revision of the snapshot it follows). Layout (README.md, "Log"): the 8 magic bytes `TPLOG001`,
 * a header record, then one put/delete record per revision, consecutive.
 *
 * {@link scanLog} reads a log at start-up and tells a torn tail (an append that a crash cut short:
 * it was never acknowledged, so it may be dropped) from corruption (a bad record with valid ones
 * after it: dropping it would lose acknowledged writes, so the store refuses to open).
 */
import { join } from "node:path";
import { writeFileAtomic } from "./durable-file.js";
import {
  decodeFrame,
  encodeRecords,
  FRAME_HEADER_BYTES,
  isFrameAt,
  RecordKind,
  type StorageRecord,
} from "./record-codec.js";
import { StorageError } from "./storage.js";

/** The first 8 bytes of every log file. */
export const LOG_MAGIC = Buffer.from("TPLOG001", "latin1");
/** The smallest possible frame (an empty key and value), for bounding the revision scan. */
const MIN_FRAME_BYTES = FRAME_HEADER_BYTES + 30 + 4;
const NAME = /^wal-([0-9a-f]{16})\.log$/;

/** The file name of the log that follows revision `base`. */
export function logFileName(base: number): string {
  return `wal-${base.toString(16).padStart(16, "0")}.log`;
}

/** The base revision named by a log file name, or undefined if `name` is not a log. */
export function parseLogFileName(name: string): number | undefined {
  const m = NAME.exec(name);
  return m === null ? undefined : Number.parseInt(m[1]!, 16);
}

/** Result of {@link scanLog}. */
export interface ScannedLog {
  /** The put/delete records, in revision order (consecutive from base + 1). */
  readonly records: StorageRecord[];
  /** Byte offset of each record in the file (same order as `records`). */
  readonly offsets: number[];
  /** Bytes of the file up to the end of the last valid record. */
  readonly validBytes: number;
  /** When the file ends in a torn record: what was wrong with it. */
  readonly torn?: { readonly offset: number; readonly bytes: number; readonly reason: string };
}

/**
 * Parses a whole log file. Throws ERR_CORRUPT (naming `file` and the byte offset) for a bad magic
 * or header, a record out of revision order, or a bad record followed by a valid one; returns
 * `torn` for a bad record with nothing valid after it.
 */
export function scanLog(buf: Buffer, file: string, base: number): ScannedLog {
  const corrupt = (offset: number, what: string) =>
    new StorageError("ERR_CORRUPT", `log ${file} is corrupt at offset ${offset}: ${what}`);
  if (buf.length < LOG_MAGIC.length || !buf.subarray(0, LOG_MAGIC.length).equals(LOG_MAGIC)) {
    throw corrupt(0, "not a tokenplane log (bad magic)");
  }
  const header = decodeFrame(buf, LOG_MAGIC.length);
  if ("error" in header) throw corrupt(LOG_MAGIC.length, `bad header record (${header.error})`);
  if (header.record.kind !== RecordKind.header || header.record.revision !== base) {
    throw corrupt(LOG_MAGIC.length, `header does not start the log after revision ${base}`);
  }
  const records: StorageRecord[] = [];
  const offsets: number[] = [];
  let offset = header.next;
  let last = base;
  while (offset < buf.length) {
    const frame = decodeFrame(buf, offset);
    if ("error" in frame) {
      const reason = frame.error === "short" ? "record cut short" : `bad record (${frame.error})`;
      for (let p = offset + 1; p < buf.length; p++) {
        if (isFrameAt(buf, p, last, Math.ceil((buf.length - p) / MIN_FRAME_BYTES) + 1)) {
          throw corrupt(offset, `${reason}, followed by a valid record at offset ${p}`);
        }
      }
      return { records, offsets, validBytes: offset, torn: { offset, bytes: buf.length - offset, reason } };
    }
    const r = frame.record;
    if (r.kind !== RecordKind.put && r.kind !== RecordKind.delete) {
      throw corrupt(offset, `unexpected record kind ${r.kind}`);
    }
    if (r.revision !== last + 1) throw corrupt(offset, `revision ${r.revision} does not follow ${last}`);
    records.push(r);
    offsets.push(offset);
    last = r.revision;
    offset = frame.next;
  }
  return { records, offsets, validBytes: offset };
}

/**
 * Creates an empty log after revision `base` in `dir` atomically (a crash leaves it whole or
 * absent) and returns its path.
 */
export async function createLogFile(dir: string, base: number, fsync: boolean): Promise<string> {
  const path = join(dir, logFileName(base));
  const header = encodeRecords([
    {
      kind: RecordKind.header,
      revision: base,
      createRevision: 0,
      prevModRevision: 0,
      key: "",
      value: new Uint8Array(),
    },
  ]);
  await writeFileAtomic(path, [LOG_MAGIC, header], { fsync });
  return path;
}
