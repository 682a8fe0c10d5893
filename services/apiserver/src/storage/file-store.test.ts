// File-store specifics: durability across reopen and crash, torn tails and corruption,
// compaction, group commit, failed appends and the directory lock.
import { fork, spawn } from "node:child_process";
import {
  copyFile,
  mkdtemp,
  readdir,
  readFile,
  realpath,
  rm,
  stat,
  truncate,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLogger } from "@tokenplane/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { type FileStore, type FileStoreOptions, openFileStore } from "./file-store.js";
import { logFileName, scanLog } from "./log-file.js";
import { snapshotFileName } from "./snapshot-file.js";
import { StorageError } from "./storage.js";
import type { CrashAck } from "./testdata/crash-writer.js";
import { PRE_TRACE_LOG } from "./testdata/pre-trace-log.js";

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (s: string) => enc.encode(s);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tempDir(): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), "tokenplane-filestore-")));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A logger whose lines the test can read. */
function captureLog() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    service: "test",
    pretty: false,
    level: "debug",
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { log, lines };
}

async function openStore(dir: string, options: Omit<FileStoreOptions, "dir"> = {}): Promise<FileStore> {
  const store = await openFileStore({ dir, ...options });
  cleanups.push(() => store.close());
  return store;
}

/** The StorageError a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<StorageError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(StorageError);
    return err as StorageError;
  }
  throw new Error("expected a rejection");
}

async function openError(dir: string, options: Omit<FileStoreOptions, "dir"> = {}): Promise<StorageError> {
  try {
    await openStore(dir, options);
  } catch (err) {
    expect(err).toBeInstanceOf(StorageError);
    return err as StorageError;
  }
  throw new Error("expected the open to fail");
}

/** Writes /k1../k<n> with values v1..v<n> into a fresh store and closes it; returns the log path. */
async function writeKeys(dir: string, n: number): Promise<string> {
  const s = await openFileStore({ dir });
  for (let i = 1; i <= n; i++) await s.create(`/k${i}`, b(`v${i}`));
  await s.close();
  return join(dir, logFileName(0));
}

async function recordOffsets(path: string): Promise<number[]> {
  return scanLog(await readFile(path), path, 0).offsets;
}

async function flipByte(path: string, offset: number): Promise<void> {
  const buf = await readFile(path);
  buf[offset]! ^= 0x40;
  await writeFile(path, buf);
}

async function dump(store: FileStore) {
  const r = await store.range("");
  return { revision: r.revision, kvs: r.kvs.map((kv) => ({ ...kv, value: dec.decode(kv.value) })) };
}

describe("file store: durability", () => {
  it("keeps every object after close and reopen, and continues the revisions", async () => {
    const dir = await tempDir();
    const s = await openFileStore({ dir });
    await s.create("/a", b("1"));
    await s.create("/b", b("1"));
    await s.update("/a", b("2"));
    await s.delete("/b");
    await s.create("/c", b("1"));
    const before = await dump(s);
    await s.close();
    const again = await openStore(dir);
    expect(await dump(again)).toEqual(before);
    expect(before.kvs.map((kv) => [kv.key, kv.value, kv.createRevision, kv.modRevision])).toEqual([
      ["/a", "2", 1, 3],
      ["/c", "1", 5, 5],
    ]);
    expect((await again.create("/d", b("1"))).modRevision).toBe(6);
    // The replayed log is watch history.
    expect(again.oldestRevision()).toBe(0);
    const ac = new AbortController();
    const seen: string[] = [];
    for await (const e of again.watch("", 2, ac.signal)) {
      seen.push(`${e.revision} ${e.type} ${e.kv.key}`);
      if (e.revision === 6) ac.abort();
    }
    expect(seen).toEqual(["3 put /a", "4 delete /b", "5 put /c", "6 put /d"]);
  });

  it("keeps every acknowledged write when the writing process is killed", async () => {
    const dir = await tempDir();
    const script = fileURLToPath(new URL("./testdata/crash-writer.ts", import.meta.url));
    const child = fork(script, [dir], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const acks: CrashAck[] = [];
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on("exit", (_code, signal) => resolve(signal)),
    );
    child.on("message", (m: CrashAck | "ready") => {
      if (m === "ready") return;
      acks.push(m);
      if (acks.length === 2000) child.kill("SIGKILL");
    });
    const signal = await exited;
    expect({ signal, stderr }).toEqual({ signal: "SIGKILL", stderr: "" });
    expect(acks.length).toBeGreaterThanOrEqual(2000);

    const { log } = captureLog();
    const s = await openStore(dir, { log });
    const latest = new Map<string, CrashAck>();
    for (const a of acks) if ((latest.get(a.key)?.revision ?? 0) < a.revision) latest.set(a.key, a);
    const missing: string[] = [];
    for (const [key, ack] of latest) {
      const kv = await s.get(key);
      // A counter key may have moved on past the last update the parent heard of.
      if (kv === undefined || kv.modRevision < ack.revision) missing.push(key);
      else if (kv.modRevision === ack.revision && dec.decode(kv.value) !== ack.value) missing.push(key);
    }
    expect(missing).toEqual([]);
    expect(s.currentRevision()).toBeGreaterThanOrEqual(Math.max(...acks.map((a) => a.revision)));
    // The revisions stayed one consecutive sequence across the crash.
    expect((await s.create("/after", b("x"))).modRevision).toBe(s.currentRevision());
  });
});

describe("file store: torn tails and corruption", () => {
  it("drops a record cut short at the end of the log, and only that one", async () => {
    const dir = await tempDir();
    const path = await writeKeys(dir, 5);
    const offsets = await recordOffsets(path);
    const size = (await stat(path)).size;
    await truncate(path, size - 3);
    const { log, lines } = captureLog();
    const s = await openStore(dir, { log });
    expect(s.currentRevision()).toBe(4);
    expect(await s.get("/k5")).toBeUndefined();
    expect(dec.decode((await s.get("/k4"))!.value)).toBe("v4");
    const warn = lines.find((l) => l.level === 40);
    expect(warn).toMatchObject({
      msg: "dropping a torn record at the end of the storage log",
      file: path,
      offset: offsets[4],
      bytes: size - 3 - offsets[4]!,
      reason: "record cut short",
    });
    // The log was cut back, so new records follow the valid ones.
    expect((await stat(path)).size).toBe(offsets[4]);
    expect((await s.create("/k5", b("new"))).modRevision).toBe(5);
    await s.close();
    const again = await openStore(dir);
    expect(dec.decode((await again.get("/k5"))!.value)).toBe("new");
  });

  it("drops a last record whose CRC does not match", async () => {
    const dir = await tempDir();
    const path = await writeKeys(dir, 5);
    const offsets = await recordOffsets(path);
    await flipByte(path, offsets[4]! + 20);
    const s = await openStore(dir);
    expect([s.currentRevision(), await s.get("/k5")]).toEqual([4, undefined]);
  });

  it("drops zeros after the last record (a crash that extended the file)", async () => {
    const dir = await tempDir();
    const path = await writeKeys(dir, 5);
    await writeFile(path, Buffer.concat([await readFile(path), Buffer.alloc(4096)]));
    const s = await openStore(dir);
    expect(s.currentRevision()).toBe(5);
  });

  it("refuses to open when a damaged record is followed by valid ones", async () => {
    const dir = await tempDir();
    const path = await writeKeys(dir, 5);
    const offsets = await recordOffsets(path);
    await flipByte(path, offsets[1]! + 20);
    const err = await openError(dir);
    expect([err.code, err.message]).toEqual([
      "ERR_CORRUPT",
      `log ${path} is corrupt at offset ${offsets[1]}: bad record (crc), followed by a valid record at offset ${offsets[2]}`,
    ]);
  });

  it("refuses to open when the length of an earlier record is damaged", async () => {
    const dir = await tempDir();
    const path = await writeKeys(dir, 5);
    const offsets = await recordOffsets(path);
    await flipByte(path, offsets[2]!);
    const err = await openError(dir);
    expect(err.code).toBe("ERR_CORRUPT");
    expect(err.message).toMatch(
      new RegExp(`^log ${path} is corrupt at offset ${offsets[2]}: .*offset ${offsets[3]}$`),
    );
  });

  it("refuses a file that is not a log", async () => {
    const dir = await tempDir();
    const path = await writeKeys(dir, 1);
    await flipByte(path, 0);
    const err = await openError(dir);
    expect([err.code, err.message]).toEqual([
      "ERR_CORRUPT",
      `log ${path} is corrupt at offset 0: not a tokenplane log (bad magic)`,
    ]);
  });

  it("refuses a damaged snapshot", async () => {
    const dir = await tempDir();
    const s = await openFileStore({ dir, compactEveryBytes: 1 });
    await s.create("/a", b("1"));
    await s.close();
    const snap = join(dir, snapshotFileName(1));
    await flipByte(snap, 70); // inside the first key-value record, after magic and header
    const err = await openError(dir);
    expect([err.code, err.message]).toEqual([
      "ERR_CORRUPT",
      `snapshot ${snap} is corrupt at offset 50: bad record (crc)`,
    ]);
  });
});

describe("file store: compaction", () => {
  /** Writes `n` changes over 20 keys: creates, updates and some deletes. */
  async function churn(s: FileStore, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const key = `/churn/${i % 20}`;
      const kv = await s.get(key);
      if (kv === undefined) await s.create(key, b(`c${i}`));
      else if (i % 7 === 0) await s.delete(key, kv.modRevision);
      else await s.update(key, b(`u${i}`), kv.modRevision);
    }
  }

  it("snapshots and starts a new log; reopening gives the same state", async () => {
    const dir = await tempDir();
    const s = await openFileStore({ dir, compactEveryBytes: 2048 });
    await churn(s, 300);
    expect(s.stats().compactions).toBeGreaterThan(2);
    const before = await dump(s);
    await s.close();
    const files = (await readdir(dir)).sort();
    const snap = files.find((f) => f.startsWith("snapshot-"))!;
    const base = Number.parseInt(snap.slice("snapshot-".length, -".snap".length), 16);
    expect(files).toEqual([snap, logFileName(base)]);
    const again = await openStore(dir, { compactEveryBytes: 2048 });
    expect(await dump(again)).toEqual(before);
    // Without retainFrom the history starts at the snapshot.
    expect(again.oldestRevision()).toBe(base);
    expect((await again.create("/new", b("x"))).modRevision).toBe(301);
  });

  it("keeps the history after retainFrom in the snapshot", async () => {
    const dir = await tempDir();
    const s = await openFileStore({ dir, compactEveryBytes: 1024, historyLimit: 10, retainFrom: () => 40 });
    await churn(s, 200);
    expect(s.stats().compactions).toBeGreaterThan(2);
    await s.close();
    const again = await openStore(dir, { retainFrom: () => 40 });
    expect(again.oldestRevision()).toBe(40);
    const ac = new AbortController();
    const revisions: number[] = [];
    for await (const e of again.watch("", 40, ac.signal)) {
      revisions.push(e.revision);
      if (e.revision === 200) ac.abort();
    }
    expect(revisions).toEqual(Array.from({ length: 160 }, (_, i) => 41 + i));
  });

  it("tidies the old log of an interrupted compaction, but never one with newer records", async () => {
    // Store A: writes until its first compaction; B: the same writes without compaction, and more.
    const dirA = await tempDir();
    const dirB = await tempDir();
    const a = await openFileStore({ dir: dirA, compactEveryBytes: 1024 });
    const bStore = await openFileStore({ dir: dirB });
    let n = 0;
    while (a.stats().compactions === 0) {
      n++;
      await a.create(`/k${n}`, b("v"));
      await bStore.create(`/k${n}`, b("v"));
    }
    await bStore.create("/extra", b("v"));
    await a.close();
    await bStore.close();
    const snap = (await readdir(dirA)).find((f) => f.startsWith("snapshot-"))!;
    const base = Number.parseInt(snap.slice("snapshot-".length, -".snap".length), 16);
    const oldLog = join(dirA, logFileName(0));
    // The crash came after the snapshot and the new log, before the old log was deleted.
    await copyFile(join(dirB, logFileName(0)), oldLog);
    const err = await openError(dirA);
    expect([err.code, err.message]).toEqual([
      "ERR_CORRUPT",
      `log ${oldLog} has revisions up to ${n + 1}, past the snapshot at ${base}`,
    ]);
    await truncate(oldLog, (await recordOffsets(oldLog))[base]!);
    const s = await openStore(dirA);
    expect(s.currentRevision()).toBe(n);
    expect(await readdir(dirA)).not.toContain(logFileName(0));
  });

  it("removes temporary files a crash left behind", async () => {
    const dir = await tempDir();
    await writeKeys(dir, 1);
    await writeFile(join(dir, `${snapshotFileName(1)}.tmp`), "partial");
    const s = await openStore(dir);
    expect(s.currentRevision()).toBe(1);
    expect((await readdir(dir)).sort()).toEqual(["LOCK", logFileName(0)]);
  });
});

describe("file store: group commit", () => {
  it("commits writes issued together with one fsync", async () => {
    const s = await openStore(await tempDir());
    const kvs = await Promise.all(Array.from({ length: 64 }, (_, i) => s.create(`/g/${i}`, b("v"))));
    expect(kvs.map((kv) => kv.modRevision)).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
    expect(s.stats()).toMatchObject({ batches: 1, records: 64, syncs: 1 });
  });

  it("gives sequential writes one fsync each", async () => {
    const s = await openStore(await tempDir());
    for (let i = 0; i < 10; i++) await s.create(`/s/${i}`, b("v"));
    expect(s.stats()).toMatchObject({ batches: 10, records: 10, syncs: 10 });
  });

  it("batches writes that arrive during an fsync into the next one, invisible until durable", async () => {
    let release: (() => void) | undefined;
    const firstSync = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered: () => void = () => {};
    const syncing = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let calls = 0;
    const s = await openStore(await tempDir(), {
      io: {
        async sync(fh) {
          if (calls++ === 0) {
            entered();
            await firstSync;
          }
          await fh.datasync();
        },
      },
    });
    const first = s.create("/a", b("1"));
    await syncing;
    const rest = ["/b", "/c", "/a", "/d"].map((k) => s.create(k, b("2")));
    const restSettled = Promise.allSettled(rest);
    // Nothing is visible while the first append is not durable.
    expect([s.currentRevision(), await s.get("/a")]).toEqual([0, undefined]);
    release!();
    expect((await first).modRevision).toBe(1);
    const settled = await restSettled;
    expect(
      settled.map((r) => (r.status === "fulfilled" ? r.value.modRevision : (r.reason as StorageError).code)),
    ).toEqual([2, 3, "ERR_KEY_EXISTS", 4]);
    expect(s.stats()).toMatchObject({ batches: 2, records: 4, syncs: 2 });
  });
});

describe("file store: failed appends", () => {
  it("rejects a batch whose fsync fails with ERR_IO and leaves no trace", async () => {
    const dir = await tempDir();
    let fail = true;
    const { log, lines } = captureLog();
    const s = await openFileStore({
      dir,
      log,
      io: {
        async sync(fh) {
          if (fail) {
            fail = false;
            throw new Error("boom");
          }
          await fh.datasync();
        },
      },
    });
    const path = join(dir, logFileName(0));
    const emptySize = (await stat(path)).size;
    const err = await rejection(s.create("/a", b("1")));
    expect([err.code, err.message]).toEqual(["ERR_IO", `append to ${path} failed: boom`]);
    expect([s.currentRevision(), await s.get("/a"), (await stat(path)).size]).toEqual([
      0,
      undefined,
      emptySize,
    ]);
    expect(lines.find((l) => l.level === 50)?.msg).toBe(
      "storage log append failed; the writes were rejected",
    );
    expect((await s.create("/b", b("2"))).modRevision).toBe(1);
    await s.close();
    const again = await openStore(dir);
    expect((await again.range("")).kvs.map((kv) => kv.key)).toEqual(["/b"]);
  });

  it("refuses writes when a failed append cannot be cut off", async () => {
    const dir = await tempDir();
    const s = await openStore(dir, {
      io: {
        sync: async () => {
          throw new Error("disk gone");
        },
        truncate: async () => {
          throw new Error("disk gone");
        },
      },
    });
    expect((await rejection(s.create("/a", b("1")))).code).toBe("ERR_IO");
    const err = await rejection(s.create("/b", b("1")));
    expect([err.code, err.message]).toEqual([
      "ERR_IO",
      `storage log ${join(dir, logFileName(0))} could not be repaired after a failed append; reopen the store`,
    ]);
    expect(await s.get("/a")).toBeUndefined();
  });
});

describe("file store: lock", () => {
  it("refuses a second opener in the same process", async () => {
    const dir = await tempDir();
    await openStore(dir);
    const err = await openError(dir);
    expect([err.code, err.message]).toEqual([
      "ERR_IO",
      `data directory ${dir} is locked by this process (pid ${process.pid})`,
    ]);
  });

  it("refuses a directory locked by another live process", async () => {
    const dir = await tempDir();
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    cleanups.push(async () => void child.kill("SIGKILL"));
    await writeFile(join(dir, "LOCK"), `${child.pid}\n`);
    const err = await openError(dir);
    expect([err.code, err.message]).toEqual([
      "ERR_IO",
      `data directory ${dir} is locked by process ${child.pid} (${join(dir, "LOCK")})`,
    ]);
  });

  it("takes over the lock of a process that is gone, and releases it on close", async () => {
    const dir = await tempDir();
    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    await new Promise((resolve) => child.on("exit", resolve));
    await writeFile(join(dir, "LOCK"), `${child.pid}\n`);
    const { log, lines } = captureLog();
    const s = await openFileStore({ dir, log });
    expect(await readFile(join(dir, "LOCK"), "utf8")).toBe(`${process.pid}\n`);
    expect(lines.find((l) => l.level === 40)).toMatchObject({
      msg: "taking over the storage lock of a process that is gone",
      pid: child.pid,
    });
    await s.close();
    expect(await readdir(dir)).not.toContain("LOCK");
    await openStore(dir);
  });
});

describe("file store: the writer's traceparent", () => {
  const tp = (n: number) => `00-0af7651916cd43dd8448eb211c80319c-${n.toString(16).padStart(16, "0")}-01`;

  /** Every event from revision 1 to `last` as [revision, type, key, traceparent]. */
  async function history(s: FileStore, last: number) {
    const ac = new AbortController();
    const out: [number, string, string, string | undefined][] = [];
    for await (const e of s.watch("", 0, ac.signal)) {
      out.push([e.revision, e.type, e.kv.key, e.traceparent]);
      if (e.revision === last) ac.abort();
    }
    return out;
  }

  it("reads a log written before traceparents were recorded, and appends traced records to it", async () => {
    const dir = await tempDir();
    const path = join(dir, logFileName(0));
    await writeFile(path, PRE_TRACE_LOG);
    const s = await openFileStore({ dir });
    expect(await dump(s)).toEqual({
      revision: 4,
      kvs: [{ key: "/b", value: "x", createRevision: 3, modRevision: 3 }],
    });
    await s.create("/c", b("y"), { traceparent: tp(1) });
    await s.close();
    const again = await openStore(dir);
    expect(await history(again, 5)).toEqual([
      [1, "put", "/a", undefined],
      [2, "put", "/a", undefined],
      [3, "put", "/b", undefined],
      [4, "delete", "/a", undefined],
      [5, "put", "/c", tp(1)],
    ]);
    // The old records stay as they were; the new one follows them.
    expect((await readFile(path)).subarray(0, PRE_TRACE_LOG.length)).toEqual(PRE_TRACE_LOG);
  });

  it("keeps it across reopen and in the history a snapshot retains", async () => {
    const dir = await tempDir();
    const s = await openFileStore({ dir, compactEveryBytes: 1024, retainFrom: () => 0 });
    const expected: [number, string, string, string | undefined][] = [];
    for (let i = 1; i <= 60; i++) {
      const key = `/t/${i % 7}`;
      const kv = await s.get(key);
      const traceparent = i % 5 === 0 ? undefined : tp(i);
      const options = traceparent === undefined ? {} : { traceparent };
      if (kv === undefined) await s.create(key, b(`c${i}`), options);
      else if (i % 4 === 0) await s.delete(key, kv.modRevision, options);
      else await s.update(key, b(`u${i}`), kv.modRevision, options);
      expected.push([i, kv !== undefined && i % 4 === 0 ? "delete" : "put", key, traceparent]);
    }
    expect(s.stats().compactions).toBeGreaterThan(1);
    expect(await history(s, 60)).toEqual(expected);
    await s.close();
    const again = await openStore(dir, { retainFrom: () => 0 });
    expect((await readdir(dir)).some((f) => f.startsWith("snapshot-"))).toBe(true);
    expect(await history(again, 60)).toEqual(expected);
  });

  it("drops a traced record torn at the end, and refuses one damaged before valid ones", async () => {
    const write3 = async (dir: string) => {
      const s = await openFileStore({ dir });
      for (let i = 1; i <= 3; i++) await s.create(`/k${i}`, b(`v${i}`), { traceparent: tp(i) });
      await s.close();
      return join(dir, logFileName(0));
    };
    const torn = await tempDir();
    const path = await write3(torn);
    const size = (await stat(path)).size;
    await truncate(path, size - 10); // inside the last record's traceparent
    const { log, lines } = captureLog();
    const s = await openStore(torn, { log });
    expect(await history(s, 2)).toEqual([
      [1, "put", "/k1", tp(1)],
      [2, "put", "/k2", tp(2)],
    ]);
    const offsets = await recordOffsets(path);
    expect(lines.find((l) => l.level === 40)).toMatchObject({
      msg: "dropping a torn record at the end of the storage log",
      reason: "record cut short",
      bytes: size - 10 - (await stat(path)).size,
    });
    expect(offsets).toHaveLength(2);

    const damaged = await tempDir();
    const path2 = await write3(damaged);
    const offsets2 = await recordOffsets(path2);
    await flipByte(path2, offsets2[2]! - 5); // inside the second record's traceparent
    const err = await openError(damaged);
    expect([err.code, err.message]).toEqual([
      "ERR_CORRUPT",
      `log ${path2} is corrupt at offset ${offsets2[1]}: bad record (crc), followed by a valid record at offset ${offsets2[2]}`,
    ]);
  });
});
