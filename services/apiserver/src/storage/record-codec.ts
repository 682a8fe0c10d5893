/**
 * The binary record format of the file store's log and snapshots (layout in README.md, "Records").
 * Every record is a frame `u32 length | u32 crc32(payload) | payload`, little-endian, so that a
 * reader can tell a complete record from a torn or damaged one. Decoding is on the start-up path
 * and returns `{ record } | { error }` instead of throwing.
 */
import { crc32 } from "node:zlib";

/** Record kinds (payload byte 0). */
export const RecordKind = {
  /** A create or update: `value` is the new value. */
  put: 1,
  /** A delete: `value` is the value deleted, `prevModRevision` its modRevision. */
  delete: 2,
  /** A snapshot's key-value: `revision` is its modRevision. */
  kv: 3,
  /** First record of a log or snapshot: `revision` is the revision the file starts after / is at. */
  header: 4,
  /** Last record of a snapshot: `revision` as in its header, `createRevision` = records before it. */
  end: 5,
} as const;

/** One of {@link RecordKind}'s values. */
export type RecordKindValue = (typeof RecordKind)[keyof typeof RecordKind];

/** A decoded record (fields not used by a kind are 0 or empty). */
export interface StorageRecord {
  readonly kind: RecordKindValue;
  readonly revision: number;
  readonly createRevision: number;
  /** ModRevision of the key's previous value; 0 when there is none (a create). */
  readonly prevModRevision: number;
  readonly key: string;
  readonly value: Uint8Array;
  /** Previous value of a put; only written in snapshot history (the log replays it from state). */
  readonly prevValue?: Uint8Array | undefined;
  /**
   * The writer's W3C `traceparent` of a put or delete (log and snapshot history), when it had one.
   * Optional behind its own flag bit, so records written before it existed decode unchanged.
   */
  readonly traceparent?: string | undefined;
}

/** Bytes of the frame header: length and CRC. */
export const FRAME_HEADER_BYTES = 8;
/** Bytes of the payload before the key: kind, flags, three u64 revisions, key length. */
const FIXED_BYTES = 1 + 1 + 8 + 8 + 8 + 4;
/** Largest payload accepted (bytes): a length beyond it can only be damage. */
export const MAX_PAYLOAD_BYTES = 1 << 30;
/** Flag bit 0: a previous value follows the value. */
const FLAG_PREV_VALUE = 1;
/** Flag bit 1: a traceparent follows (after the previous value, if any). */
const FLAG_TRACEPARENT = 2;
const KNOWN_FLAGS = FLAG_PREV_VALUE | FLAG_TRACEPARENT;
const TWO_32 = 2 ** 32;

/** Why a frame could not be decoded. */
export type FrameError =
  /** The bytes end before the frame does (a torn append, if at the end of a log). */
  | "short"
  /** The CRC does not match the payload. */
  | "crc"
  /** The CRC matches but the payload's structure is impossible. */
  | "malformed";

/** Result of {@link decodeFrame}. */
export type DecodedFrame = { record: StorageRecord; next: number } | { error: FrameError };

/** Encodes records as consecutive frames in one buffer (one write for a whole batch). */
export function encodeRecords(records: readonly StorageRecord[]): Buffer {
  const strings = records.map((r) => ({
    key: Buffer.from(r.key, "utf8"),
    trace: r.traceparent === undefined ? undefined : Buffer.from(r.traceparent, "utf8"),
  }));
  let total = 0;
  records.forEach((r, i) => {
    total += FRAME_HEADER_BYTES + payloadBytes(r, strings[i]!.key, strings[i]!.trace);
  });
  const out = Buffer.allocUnsafe(total);
  let o = 0;
  records.forEach((r, i) => {
    o = writeFrame(out, o, r, strings[i]!.key, strings[i]!.trace);
  });
  return out;
}

function payloadBytes(r: StorageRecord, key: Buffer, trace: Buffer | undefined): number {
  const prev = r.prevValue === undefined ? 0 : 4 + r.prevValue.byteLength;
  const tp = trace === undefined ? 0 : 4 + trace.byteLength;
  return FIXED_BYTES + key.byteLength + 4 + r.value.byteLength + prev + tp;
}

function writeFrame(
  out: Buffer,
  start: number,
  r: StorageRecord,
  key: Buffer,
  trace: Buffer | undefined,
): number {
  const len = payloadBytes(r, key, trace);
  if (len > MAX_PAYLOAD_BYTES) throw new RangeError(`record of key "${r.key}" is too large: ${len} bytes`);
  let o = start + FRAME_HEADER_BYTES;
  o = out.writeUInt8(r.kind, o);
  const flags =
    (r.prevValue === undefined ? 0 : FLAG_PREV_VALUE) | (trace === undefined ? 0 : FLAG_TRACEPARENT);
  o = out.writeUInt8(flags, o);
  o = writeU64(out, o, r.revision);
  o = writeU64(out, o, r.createRevision);
  o = writeU64(out, o, r.prevModRevision);
  o = out.writeUInt32LE(key.byteLength, o);
  o += key.copy(out, o);
  o = out.writeUInt32LE(r.value.byteLength, o);
  out.set(r.value, o);
  o += r.value.byteLength;
  if (r.prevValue !== undefined) {
    o = out.writeUInt32LE(r.prevValue.byteLength, o);
    out.set(r.prevValue, o);
    o += r.prevValue.byteLength;
  }
  if (trace !== undefined) {
    o = out.writeUInt32LE(trace.byteLength, o);
    o += trace.copy(out, o);
  }
  out.writeUInt32LE(len, start);
  out.writeUInt32LE(crc32(out.subarray(start + FRAME_HEADER_BYTES, o)), start + 4);
  return o;
}

/** Decodes the frame at `offset`. Values are copied out of `buf`, so `buf` can be released. */
export function decodeFrame(buf: Buffer, offset: number): DecodedFrame {
  if (buf.length - offset < FRAME_HEADER_BYTES) return { error: "short" };
  const len = buf.readUInt32LE(offset);
  const start = offset + FRAME_HEADER_BYTES;
  if (len > buf.length - start) return { error: "short" };
  const payload = buf.subarray(start, start + len);
  if (crc32(payload) !== buf.readUInt32LE(offset + 4)) return { error: "crc" };
  const record = decodePayload(payload);
  return record === undefined ? { error: "malformed" } : { record, next: start + len };
}

function decodePayload(p: Buffer): StorageRecord | undefined {
  if (p.length < FIXED_BYTES) return undefined;
  const kind = p.readUInt8(0);
  const flags = p.readUInt8(1);
  if (kind < RecordKind.put || kind > RecordKind.end || (flags & ~KNOWN_FLAGS) !== 0) return undefined;
  const revision = readU64(p, 2);
  const createRevision = readU64(p, 10);
  const prevModRevision = readU64(p, 18);
  if (revision === undefined || createRevision === undefined || prevModRevision === undefined)
    return undefined;
  let o = 26;
  const keyLen = p.readUInt32LE(o);
  o += 4;
  if (keyLen > p.length - o - 4) return undefined;
  const key = p.toString("utf8", o, o + keyLen);
  o += keyLen;
  const valueLen = p.readUInt32LE(o);
  o += 4;
  if (valueLen > p.length - o) return undefined;
  const value = new Uint8Array(p.subarray(o, o + valueLen));
  o += valueLen;
  let prevValue: Uint8Array | undefined;
  if ((flags & FLAG_PREV_VALUE) !== 0) {
    if (p.length - o < 4) return undefined;
    const prevLen = p.readUInt32LE(o);
    o += 4;
    if (prevLen > p.length - o) return undefined;
    prevValue = new Uint8Array(p.subarray(o, o + prevLen));
    o += prevLen;
  }
  let traceparent: string | undefined;
  if ((flags & FLAG_TRACEPARENT) !== 0) {
    if (p.length - o < 4) return undefined;
    const traceLen = p.readUInt32LE(o);
    o += 4;
    if (traceLen > p.length - o) return undefined;
    traceparent = p.toString("utf8", o, o + traceLen);
    o += traceLen;
  }
  if (o !== p.length) return undefined;
  const record = {
    kind: kind as RecordKindValue,
    revision,
    createRevision,
    prevModRevision,
    key,
    value,
    prevValue,
  };
  return traceparent === undefined ? record : { ...record, traceparent };
}

/**
 * A cheap test of whether a valid frame plausibly starts at `offset` with a revision in
 * `(after, after + maxStep]`; used to tell a damaged record in the middle of a log (valid records
 * follow it) from a torn tail, by scanning every byte offset after the damage.
 */
export function isFrameAt(buf: Buffer, offset: number, after: number, maxStep: number): boolean {
  if (buf.length - offset < FRAME_HEADER_BYTES + FIXED_BYTES) return false;
  const len = buf.readUInt32LE(offset);
  const start = offset + FRAME_HEADER_BYTES;
  if (len < FIXED_BYTES || len > buf.length - start) return false;
  const kind = buf.readUInt8(start);
  if (kind !== RecordKind.put && kind !== RecordKind.delete) return false;
  const revision = readU64(buf, start + 2);
  if (revision === undefined || revision <= after || revision > after + maxStep) return false;
  return crc32(buf.subarray(start, start + len)) === buf.readUInt32LE(offset + 4);
}

function writeU64(out: Buffer, o: number, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`revision out of range: ${n}`);
  out.writeUInt32LE(n % TWO_32, o);
  out.writeUInt32LE(Math.floor(n / TWO_32), o + 4);
  return o + 8;
}

function readU64(buf: Buffer, o: number): number | undefined {
  const hi = buf.readUInt32LE(o + 4);
  if (hi >= 2 ** 21) return undefined; // beyond Number.MAX_SAFE_INTEGER
  return hi * TWO_32 + buf.readUInt32LE(o);
}
