/**
 * Storage write throughput: the file store with fsync, one writer awaiting each write in turn
 * versus 64 concurrent writers (group commit), and the memory store. Prints the median of several
 * trials and the ratios; `runStorageBench()` returns the same figures for `pnpm bench`.
 *
 * Run: `node --import tsx services/apiserver/bench/storage.ts` (from the repository root).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { openFileStore } from "../src/storage/file-store.js";
import { createMemoryStore } from "../src/storage/memory-store.js";
import type { Storage } from "../src/storage/storage.js";
import { median } from "./median.js";

/** Options of {@link runStorageBench}. */
export interface StorageBenchOptions {
  /** Trials per figure; the median is reported (default 5). */
  readonly trials?: number;
  /** Writes per trial of the sequential file-store run (default 1000). */
  readonly sequentialWrites?: number;
  /** Writes per trial of the concurrent file-store run, spread over the writers (default 12_800). */
  readonly concurrentWrites?: number;
  /** Concurrent writers (default 64). */
  readonly writers?: number;
  /** Writes per trial of the memory store (default 100_000). */
  readonly memoryWrites?: number;
  /** Bytes per value (default 1024, about a ServiceAccount or Secret in protobuf). */
  readonly valueBytes?: number;
}

/** Median figures of one run. */
export interface StorageBenchResult {
  /** File store, fsync on, one writer awaiting each create (writes/s). */
  readonly fileSequentialWritesPerSec: number;
  /** File store, fsync on, `writers` concurrent writers (writes/s). */
  readonly fileConcurrentWritesPerSec: number;
  /** Mean records per fsync in the concurrent run (group commit size). */
  readonly fileConcurrentRecordsPerSync: number;
  /** Memory store, one writer awaiting each create (writes/s). */
  readonly memoryWritesPerSec: number;
  /** fileConcurrent / fileSequential. */
  readonly concurrentOverSequential: number;
  /** memory / fileSequential. */
  readonly memoryOverFileSequential: number;
}

/** Runs the benchmark and returns the medians. */
export async function runStorageBench(options: StorageBenchOptions = {}): Promise<StorageBenchResult> {
  const trials = options.trials ?? 5;
  const value = new Uint8Array(options.valueBytes ?? 1024).fill(0x61);
  const writers = options.writers ?? 64;
  const seq: number[] = [];
  const conc: number[] = [];
  const perSync: number[] = [];
  const mem: number[] = [];
  for (let t = 0; t < trials; t++) {
    seq.push(
      await withFileStore(async (s) =>
        rate(options.sequentialWrites ?? 1000, (n) => sequential(s, n, value)),
      ),
    );
    await withFileStore(async (s) => {
      const n = options.concurrentWrites ?? 12_800;
      conc.push(await rate(n, () => concurrent(s, n, writers, value)));
      perSync.push(s.stats().records / Math.max(1, s.stats().syncs));
    });
    const m = createMemoryStore();
    mem.push(await rate(options.memoryWrites ?? 100_000, (n) => sequential(m, n, value)));
    await m.close();
  }
  const fileSequentialWritesPerSec = median(seq);
  const fileConcurrentWritesPerSec = median(conc);
  const memoryWritesPerSec = median(mem);
  return {
    fileSequentialWritesPerSec,
    fileConcurrentWritesPerSec,
    fileConcurrentRecordsPerSync: median(perSync),
    memoryWritesPerSec,
    concurrentOverSequential: fileConcurrentWritesPerSec / fileSequentialWritesPerSec,
    memoryOverFileSequential: memoryWritesPerSec / fileSequentialWritesPerSec,
  };
}

async function withFileStore<T>(
  fn: (s: Awaited<ReturnType<typeof openFileStore>>) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "tokenplane-bench-"));
  const store = await openFileStore({ dir, fsync: true });
  try {
    return await fn(store);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function rate(n: number, run: (n: number) => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await run(n);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return n / seconds;
}

async function sequential(s: Storage, n: number, value: Uint8Array): Promise<void> {
  for (let i = 0; i < n; i++) await s.create(`/registry/secrets/bench/s-${i}`, value);
}

async function concurrent(s: Storage, n: number, writers: number, value: Uint8Array): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < n; i = next++) await s.create(`/registry/secrets/bench/c-${i}`, value);
  };
  await Promise.all(Array.from({ length: writers }, worker));
}

/** The figures as text, one line each. */
export function formatStorageBench(r: StorageBenchResult, trials = 5): string {
  const fmt = (x: number) => Math.round(x).toLocaleString("en-US").padStart(10);
  return [
    `storage writes/s (median of ${trials} trials, 1 KiB values)`,
    `  file store, fsync, sequential awaits  ${fmt(r.fileSequentialWritesPerSec)}`,
    `  file store, fsync, 64 writers         ${fmt(r.fileConcurrentWritesPerSec)}  (${r.fileConcurrentRecordsPerSync.toFixed(1)} records per fsync)`,
    `  memory store, sequential awaits       ${fmt(r.memoryWritesPerSec)}`,
    `  ratio 64 writers / sequential         ${r.concurrentOverSequential.toFixed(1).padStart(10)}x`,
    `  ratio memory / file sequential        ${r.memoryOverFileSequential.toFixed(1).padStart(10)}x`,
  ].join("\n");
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${formatStorageBench(await runStorageBench())}\n`);
}
