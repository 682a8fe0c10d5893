import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeFrame, encodeRecords, isFrameAt, RecordKind, type StorageRecord } from "./record-codec.js";
import { PRE_TRACE_LOG } from "./testdata/pre-trace-log.js";

const put = (revision: number, key: string, value: string, prevValue?: string): StorageRecord => ({
  kind: RecordKind.put,
  revision,
  createRevision: 1,
  prevModRevision: prevValue === undefined ? 0 : revision - 1,
  key,
  value: new TextEncoder().encode(value),
  prevValue: prevValue === undefined ? undefined : new TextEncoder().encode(prevValue),
});

describe("record codec", () => {
  it("round-trips records, with and without a previous value", () => {
    const records = [put(1, "/a", "one"), put(2, "/ä/ü", "", "prev"), put(2 ** 40, "/big", "x".repeat(1000))];
    const buf = encodeRecords(records);
    const out: StorageRecord[] = [];
    for (let o = 0; o < buf.length; ) {
      const f = decodeFrame(buf, o);
      if ("error" in f) throw new Error(f.error);
      out.push(f.record);
      o = f.next;
    }
    expect(out).toEqual(records);
  });

  it("lays a frame out as length, crc32, payload", () => {
    const buf = encodeRecords([put(1, "k", "v")]);
    // payload: kind, flags, 3 × u64, key length + "k", value length + "v"
    expect(buf.length).toBe(8 + 1 + 1 + 24 + 4 + 1 + 4 + 1);
    expect(buf.readUInt32LE(0)).toBe(buf.length - 8);
    expect([buf[8], buf[9], buf.readUInt32LE(10), buf.readUInt32LE(14)]).toEqual([RecordKind.put, 0, 1, 0]);
  });

  it.each([
    ["a cut header", (b: Buffer) => b.subarray(0, 5), "short"],
    ["a cut payload", (b: Buffer) => b.subarray(0, b.length - 1), "short"],
    ["a flipped payload byte", (b: Buffer) => flip(b, 20), "crc"],
    ["a flipped crc byte", (b: Buffer) => flip(b, 5), "crc"],
    ["zeros", (b: Buffer) => Buffer.alloc(b.length), "malformed"],
  ])("detects %s", (_name, damage, error) => {
    expect(decodeFrame(damage(encodeRecords([put(1, "/k", "value")])), 0)).toEqual({ error });
  });

  it("finds a plausible frame only where one starts", () => {
    const buf = Buffer.concat([Buffer.alloc(7, 0xff), encodeRecords([put(5, "/k", "v")])]);
    const hits = [...buf.keys()].filter((o) => isFrameAt(buf, o, 4, 10));
    expect(hits).toEqual([7]);
    expect(isFrameAt(buf, 7, 5, 10)).toBe(false); // revision not after 5
  });
});

describe("record codec: traceparent", () => {
  const TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const traced = (r: StorageRecord, traceparent = TP): StorageRecord => ({ ...r, traceparent });
  const decodeAll = (buf: Buffer, from = 0): StorageRecord[] => {
    const out: StorageRecord[] = [];
    for (let o = from; o < buf.length; ) {
      const f = decodeFrame(buf, o);
      if ("error" in f) throw new Error(`${f.error} at ${o}`);
      out.push(f.record);
      o = f.next;
    }
    return out;
  };

  it("round-trips a traceparent, with and without a previous value, on puts and deletes", () => {
    const del: StorageRecord = { ...put(3, "/a", "gone"), kind: RecordKind.delete, prevModRevision: 2 };
    const records = [
      traced(put(1, "/a", "one")),
      traced(put(2, "/a", "two", "one")),
      traced(del),
      put(4, "/b", "x"),
    ];
    const out = decodeAll(encodeRecords(records));
    expect(out).toEqual(records);
    expect(out.map((r) => r.traceparent)).toEqual([TP, TP, TP, undefined]);
    // A record without one has no traceparent property at all (not even undefined).
    expect("traceparent" in out[3]!).toBe(false);
  });

  it("appends it after the value (and previous value) behind flag bit 1", () => {
    const plain = encodeRecords([put(1, "k", "v")]);
    const buf = encodeRecords([traced(put(1, "k", "v"))]);
    expect(buf.length).toBe(plain.length + 4 + TP.length);
    expect(buf[9]).toBe(2);
    expect(buf.readUInt32LE(plain.length)).toBe(TP.length);
    expect(buf.toString("latin1", plain.length + 4)).toBe(TP);
    // Everything before it is laid out as without it.
    expect(buf.subarray(10, plain.length)).toEqual(plain.subarray(10));
    const both = encodeRecords([traced(put(2, "k", "v", "p"))]);
    expect(both[9]).toBe(3);
    expect(both.toString("latin1", both.length - TP.length)).toBe(TP);
  });

  // PRE_TRACE_LOG: a log written by the codec before the traceparent existed.
  it("decodes records written before the traceparent existed, and encodes them byte for byte as then", () => {
    const out = decodeAll(PRE_TRACE_LOG, 8);
    expect(out.map((r) => [r.kind, r.revision, r.key, new TextDecoder().decode(r.value)])).toEqual([
      [RecordKind.header, 0, "", ""],
      [RecordKind.put, 1, "/a", "one"],
      [RecordKind.put, 2, "/a", "two"],
      [RecordKind.put, 3, "/b", "x"],
      [RecordKind.delete, 4, "/a", "two"],
    ]);
    expect(out.some((r) => "traceparent" in r)).toBe(false);
    expect(Buffer.concat([PRE_TRACE_LOG.subarray(0, 8), encodeRecords(out)])).toEqual(PRE_TRACE_LOG);
  });

  it.each([
    ["a record cut inside the traceparent", (b: Buffer) => b.subarray(0, b.length - 10), "short"],
    ["a flipped traceparent byte", (b: Buffer) => flip(b, b.length - 3), "crc"],
    [
      "flag bit 1 without a traceparent",
      (b: Buffer) => reframe(b, (p) => p.subarray(0, p.length - 4 - TP.length)),
      "malformed",
    ],
    [
      "a traceparent length past the end",
      (b: Buffer) => reframe(b, (p) => withU32(p, p.length - 4 - TP.length, 1000)),
      "malformed",
    ],
    ["an unknown flag bit", (b: Buffer) => reframe(b, (p) => withByte(p, 1, 2 | 4)), "malformed"],
  ])("detects %s", (_name, damage, error) => {
    expect(decodeFrame(damage(encodeRecords([traced(put(1, "/k", "value"))])), 0)).toEqual({ error });
  });

  it("finds a traced frame where it starts", () => {
    const buf = Buffer.concat([Buffer.alloc(5, 0xff), encodeRecords([traced(put(5, "/k", "v"))])]);
    expect([...buf.keys()].filter((o) => isFrameAt(buf, o, 4, 10))).toEqual([5]);
  });
});

/** The frame with its payload replaced by `change(payload)` and a matching length and CRC. */
function reframe(frame: Buffer, change: (payload: Buffer) => Buffer): Buffer {
  const payload = change(Buffer.from(frame.subarray(8)));
  const out = Buffer.alloc(8 + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  payload.copy(out, 8);
  return out;
}

function withByte(b: Buffer, i: number, v: number): Buffer {
  b[i] = v;
  return b;
}

function withU32(b: Buffer, i: number, v: number): Buffer {
  b.writeUInt32LE(v, i);
  return b;
}

function flip(b: Buffer, i: number): Buffer {
  const c = Buffer.from(b);
  c[i]! ^= 1;
  return c;
}
