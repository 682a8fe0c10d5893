import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createLogger,
  currentTrace,
  formatTraceparent,
  injectTrace,
  type LogLevel,
  newTrace,
  type TraceContext,
} from "@tokenplane/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { openFileStore } from "../storage/file-store.js";
import { createMemoryStore } from "../storage/memory-store.js";
import type { Storage, StorageEvent } from "../storage/storage.js";
import { type Outbox, type OutboxOptions, publishTrace, startOutbox } from "./outbox.js";
import { readWatermark } from "./watermark-file.js";

const b = (s: string) => new TextEncoder().encode(s);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tokenplane-outbox-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function captureLog(level: LogLevel = "info") {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    service: "test",
    pretty: false,
    level,
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { log, lines, messages: () => lines.map((l) => `${l.level} ${l.msg}`) };
}

/** A fake broker: records published revisions; `failWhen` makes a publish reject. */
function broker(failWhen: (e: StorageEvent, attempt: number) => boolean = () => false) {
  const revisions: number[] = [];
  const attempts = new Map<number, number>();
  const waiters: { revision: number; resolve: () => void }[] = [];
  const publish = async (e: StorageEvent) => {
    const attempt = (attempts.get(e.revision) ?? 0) + 1;
    attempts.set(e.revision, attempt);
    if (failWhen(e, attempt)) throw new Error(`broker down at ${e.revision}`);
    revisions.push(e.revision);
    for (const w of waiters.filter((w) => w.revision <= e.revision)) w.resolve();
  };
  /** Resolves once `revision` has been published. */
  const published = (revision: number) =>
    revisions.includes(revision)
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiters.push({ revision, resolve }));
  return { publish, revisions, attempts, published };
}

function start(options: OutboxOptions): Outbox {
  const outbox = startOutbox(options);
  cleanups.push(() => outbox.stop());
  return outbox;
}

async function writeN(s: Storage, n: number, prefix = "/k"): Promise<void> {
  for (let i = 0; i < n; i++) await s.create(`${prefix}/${s.currentRevision() + 1}`, b("v"));
}

describe("outbox", () => {
  it("publishes in revision order from the persisted watermark, then live changes", async () => {
    const dir = await tempDir();
    const file = join(dir, "watermark");
    await writeFile(file, "4\n");
    const store = createMemoryStore();
    await writeN(store, 10);
    const br = broker();
    const { log } = captureLog();
    const outbox = start({ storage: store, watermarkFile: file, publish: br.publish, log });
    await br.published(10);
    await writeN(store, 2);
    await br.published(12);
    expect(br.revisions).toEqual(range(5, 12));
    await outbox.stop();
    expect([outbox.publishedRevision(), outbox.watermark(), await readFile(file, "utf8")]).toEqual([
      12,
      12,
      "12\n",
    ]);
  });

  it("retries a failing publish with back-off, never skipping, and logs the outage once", async () => {
    const store = createMemoryStore();
    await writeN(store, 5);
    const br = broker((e, attempt) => e.revision === 3 && attempt <= 4);
    const { log, messages, lines } = captureLog();
    start({
      storage: store,
      watermarkFile: join(await tempDir(), "wm"),
      publish: br.publish,
      log,
      retryDelayMs: 1,
    });
    await br.published(5);
    expect(br.revisions).toEqual([1, 2, 3, 4, 5]);
    expect(br.attempts.get(3)).toBe(5);
    expect(messages()).toEqual([
      "50 event publishing failed; retrying until it succeeds",
      "30 event publishing recovered",
    ]);
    expect(lines[1]).toMatchObject({ revision: 3, failures: 4 });
  });

  it("after a crash republishes only the tail after the persisted watermark", async () => {
    const dir = await tempDir();
    const file = join(dir, "watermark");
    const store = createMemoryStore();
    await writeN(store, 20);
    // First run: the broker hangs on revision 14, as if the process froze there.
    let unfreeze: () => void = () => {};
    const frozen = new Promise<void>((resolve) => {
      unfreeze = resolve;
    });
    const first = broker();
    let persisted: () => void = () => {};
    const persistedAt10 = new Promise<void>((resolve) => {
      persisted = resolve;
    });
    start({
      storage: store,
      watermarkFile: file,
      log: captureLog().log,
      flushEveryEvents: 5,
      flushIntervalMs: 1e9,
      onWatermark: (r) => r === 10 && persisted(),
      publish: async (e) => {
        if (e.revision === 14) await frozen;
        await first.publish(e);
      },
    });
    cleanups.push(async () => unfreeze());
    await persistedAt10;
    await first.published(13);
    // The crash: what is on disk now is all a restarted process has.
    const afterCrash = join(dir, "watermark-after-crash");
    await copyFile(file, afterCrash);
    const second = broker();
    start({ storage: store, watermarkFile: afterCrash, publish: second.publish, log: captureLog().log });
    await second.published(20);
    expect(first.revisions).toEqual(range(1, 13));
    // 11..13 twice (allowed: consumers de-duplicate by resourceVersion), nothing missing.
    expect(second.revisions).toEqual(range(11, 20));
  });

  it("watches again from where it was when cut off for falling behind during an outage", async () => {
    const store = createMemoryStore({
      historyLimit: 5,
      watchLagLimit: 10,
      retainFrom: () => outbox.watermark(),
    });
    let down = true;
    let failed: () => void = () => {};
    const firstFailure = new Promise<void>((resolve) => {
      failed = resolve;
    });
    const br = broker((e) => {
      if (down && e.revision === 2) failed();
      return down && e.revision >= 2;
    });
    const { log, messages } = captureLog();
    let persisted: () => void = () => {};
    const persistedAt1 = new Promise<void>((resolve) => {
      persisted = resolve;
    });
    const outbox: Outbox = start({
      storage: store,
      watermarkFile: join(await tempDir(), "wm"),
      publish: br.publish,
      log,
      retryDelayMs: 1,
      maxRetryDelayMs: 2,
      flushIntervalMs: 1,
      onWatermark: (r) => r === 1 && persisted(),
    });
    await writeN(store, 2);
    await firstFailure;
    await persistedAt1;
    await writeN(store, 100);
    expect(store.oldestRevision()).toBe(1);
    down = false;
    await br.published(102);
    expect(br.revisions).toEqual(range(1, 102));
    expect(messages()).toEqual([
      "50 event publishing failed; retrying until it succeeds",
      "30 event publishing recovered",
    ]);
  });

  it("logs an error and resumes from the oldest revision when history is gone", async () => {
    const dir = await tempDir();
    const file = join(dir, "watermark");
    await writeFile(file, "3\n");
    const store = createMemoryStore({ historyLimit: 5 });
    await writeN(store, 20);
    const br = broker();
    const { log, lines } = captureLog();
    start({ storage: store, watermarkFile: file, publish: br.publish, log });
    await br.published(20);
    expect(br.revisions).toEqual(range(16, 20));
    expect(lines[0]).toMatchObject({
      level: 50,
      msg: "events were compacted before they were published; resuming from the oldest revision kept",
      fromRevision: 4,
      toRevision: 15,
    });
  });

  it("keeps unpublished history through compaction and a restart of the file store", async () => {
    const dir = await tempDir();
    const dataDir = join(dir, "data");
    const file = join(dir, "watermark");
    const open = () =>
      openFileStore({
        dir: dataDir,
        compactEveryBytes: 2048,
        historyLimit: 5,
        watchLagLimit: 10,
        retainFrom: () => outbox?.watermark() ?? readWatermark(file).revision,
      });
    let outbox: Outbox | undefined;
    let store = await open();
    let failed: () => void = () => {};
    const brokerDown = new Promise<void>((resolve) => {
      failed = resolve;
    });
    const down = broker((e) => {
      if (e.revision === 3) failed();
      return e.revision >= 3;
    });
    let persisted: () => void = () => {};
    const persistedAt2 = new Promise<void>((resolve) => {
      persisted = resolve;
    });
    outbox = startOutbox({
      storage: store,
      watermarkFile: file,
      publish: down.publish,
      log: captureLog().log,
      retryDelayMs: 1,
      flushIntervalMs: 1,
      onWatermark: (r) => r === 2 && persisted(),
    });
    await writeN(store, 3);
    await brokerDown;
    await persistedAt2;
    await writeN(store, 300);
    expect((store as Awaited<ReturnType<typeof open>>).stats().compactions).toBeGreaterThan(2);
    await outbox.stop();
    expect(readWatermark(file)).toEqual({ revision: 2 });
    await store.close();

    outbox = undefined;
    store = await open();
    cleanups.push(() => store.close());
    expect(store.oldestRevision()).toBe(2);
    const up = broker();
    outbox = start({ storage: store, watermarkFile: file, publish: up.publish, log: captureLog().log });
    await up.published(303);
    expect(up.revisions).toEqual(range(3, 303));
  });

  it("republishes from the start when the watermark file is unreadable", async () => {
    const dir = await tempDir();
    const file = join(dir, "watermark");
    await writeFile(file, "garbage");
    const store = createMemoryStore();
    await writeN(store, 3);
    const br = broker();
    const { log, lines } = captureLog();
    start({ storage: store, watermarkFile: file, publish: br.publish, log });
    await br.published(3);
    expect(br.revisions).toEqual([1, 2, 3]);
    expect(lines[0]).toMatchObject({
      level: 50,
      msg: "outbox watermark is unreadable; publishing from the start",
    });
  });

  it("republishes from the start when the watermark is ahead of the store", async () => {
    const dir = await tempDir();
    const file = join(dir, "watermark");
    await writeFile(file, "50\n");
    const store = createMemoryStore();
    await writeN(store, 3);
    const br = broker();
    const { log, lines } = captureLog();
    start({ storage: store, watermarkFile: file, publish: br.publish, log });
    await br.published(3);
    expect(br.revisions).toEqual([1, 2, 3]);
    expect(lines[0]).toMatchObject({
      level: 50,
      msg: "outbox watermark is ahead of the storage; publishing from the start",
      watermark: 50,
      currentRevision: 3,
    });
  });
});

describe("outbox: the writer's trace", () => {
  it("publishes each event in a new span of its writer's trace, and one without a trace outside any", async () => {
    const store = createMemoryStore();
    const writer = newTrace("req-1");
    const tp = formatTraceparent(writer);
    await store.create("/a", b("1"), { traceparent: tp });
    await store.create("/b", b("1"));
    await store.create("/c", b("1"), { traceparent: "00-not-a-trace" });
    await store.update("/a", b("2"), undefined, { traceparent: tp });
    const seen: { revision: number; trace: TraceContext | undefined; headers: Record<string, string> }[] = [];
    const br = broker((e, attempt) => e.revision === 4 && attempt <= 2);
    const { log, lines } = captureLog("debug");
    const outbox = start({
      storage: store,
      watermarkFile: join(await tempDir(), "wm"),
      log,
      retryDelayMs: 1,
      publish: async (e) => {
        // What publishLifecycleEvent sees: the current trace, and the NATS headers it makes of it.
        seen.push({ revision: e.revision, trace: currentTrace(), headers: injectTrace({}) });
        await br.publish(e);
      },
    });
    await br.published(4);
    await outbox.stop();
    const spans = new Set<string>();
    for (const { revision, trace, headers } of seen) {
      if (revision === 2 || revision === 3) {
        expect([revision, trace, headers]).toEqual([revision, undefined, {}]);
        continue;
      }
      expect(trace).toMatchObject({ traceId: writer.traceId, flags: 1, requestId: writer.traceId });
      expect(trace!.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(trace!.spanId).not.toBe(writer.spanId);
      expect(headers).toEqual({
        traceparent: `00-${writer.traceId}-${trace!.spanId}-01`,
        "x-request-id": writer.traceId,
      });
      spans.add(`${revision} ${trace!.spanId}`);
    }
    // Revision 4 failed twice: its three attempts ran in one span; revision 1 in another.
    expect(seen.map((s) => s.revision)).toEqual([1, 2, 3, 4, 4, 4]);
    expect(spans.size).toBe(2);
    const traced = (l: Record<string, unknown>) => [l.msg, l.revision, l.trace_id];
    expect(lines.map(traced)).toEqual([
      ["event published", 1, writer.traceId],
      ["event published", 2, undefined],
      ["event published", 3, undefined],
      ["event publishing failed; retrying until it succeeds", 4, writer.traceId],
      ["event published", 4, writer.traceId],
      ["event publishing recovered", 4, writer.traceId],
    ]);
    expect(lines[0]).toMatchObject({ level: 20, key: "/a", type: "put" });
  });

  it("derives the publishing span from the recorded traceparent", () => {
    const event = {
      type: "put" as const,
      kv: { key: "/k", value: b(""), createRevision: 1, modRevision: 1 },
      revision: 1,
    };
    expect(publishTrace(event)).toBeUndefined();
    expect(
      publishTrace({ ...event, traceparent: "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }),
    ).toBeUndefined();
    const child = publishTrace({
      ...event,
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00",
    });
    expect(child).toMatchObject({
      traceId: "0af7651916cd43dd8448eb211c80319c",
      flags: 0,
      requestId: "0af7651916cd43dd8448eb211c80319c",
    });
    expect(child!.spanId).not.toBe("b7ad6b7169203331");
  });
});
