/**
 * The embedded file-backed storage backend, the default (`$TOKENPLANE_HOME/data/apiserver`): the
 * shared {@link MvccIndex} in memory, made durable by an append-only write-ahead log with
 * periodic snapshots. The file format is described in README.md beside this file.
 *
 * Guarantees:
 * - A write resolves only after its record is on disk (appended and fdatasync'ed). Reads and
 *   watches see a change only once it is durable; a failed append rejects with ERR_IO and leaves
 *   no trace (the log is truncated back; if even that fails the store refuses further writes).
 * - Group commit: writes that arrive while an append is in flight (or in the same tick as the
 *   first) go together into the next append and fsync, in arrival order, with consecutive
 *   revisions. Sequential writers get one fsync each; concurrent writers share them.
 * - On open, a torn record at the end of the log (an append a crash cut short: never
 *   acknowledged) is logged and truncated away; a damaged record with valid ones after it is
 *   corruption and the open fails with ERR_CORRUPT naming the file and offset.
 * - Compaction: once the log exceeds `compactEveryBytes`, the state is written as a snapshot and a
 *   new, empty log is started. Writes wait while the snapshot is written.
 * - Watch history after a restart: the history kept in the snapshot (only the events after
 *   `retainFrom()` at compaction time) followed by every record of the log replayed. A watcher
 *   can resume after any revision from `oldestRevision()` on; older ones get ERR_COMPACTED.
 * - One process per directory: a `LOCK` file with the owner's pid; opening a directory whose lock
 *   is held by a live process (or by this process) fails with ERR_IO.
 */
import type { FileHandle } from "node:fs/promises";
import { mkdir, open, unlink } from "node:fs/promises";
import { fsyncDir } from "./durable-file.js";
import { recoverDir, type StorageLog } from "./file-recovery.js";
import { type DirLock, lockDir } from "./lock-file.js";
import { createLogFile } from "./log-file.js";
import { MvccIndex, type MvccIndexOptions, type WriteOp } from "./mvcc-index.js";
import { checkKey, checkModRevision, copyValue } from "./op-checks.js";
import { encodeRecords } from "./record-codec.js";
import { recordOfEvent } from "./record-events.js";
import { writeSnapshot } from "./snapshot-file.js";
import {
  type KeyValue,
  type RangeOptions,
  type RangeResult,
  type Storage,
  StorageError,
  type StorageWriteOptions,
} from "./storage.js";

export type { StorageLog } from "./file-recovery.js";

/** Default log size that triggers compaction: 64 MiB. */
export const DEFAULT_COMPACT_EVERY_BYTES = 64 * 1024 * 1024;

/** The file operations of the write path; tests replace them to inject failures. */
export interface LogIo {
  /** Writes all of `data` at `position`. */
  write(fh: FileHandle, data: Uint8Array, position: number): Promise<void>;
  /** Flushes the file's data to disk (fdatasync). */
  sync(fh: FileHandle): Promise<void>;
  /** Cuts the file to `length` bytes. */
  truncate(fh: FileHandle, length: number): Promise<void>;
}

/** Options of {@link openFileStore}. */
export interface FileStoreOptions extends MvccIndexOptions {
  /** The data directory (created if missing, mode 0700), e.g. `$TOKENPLANE_HOME/data/apiserver`. */
  readonly dir: string;
  /**
   * Flush every append to disk before acknowledging it (default true). Off, a crash of the machine
   * (not of the process) can lose acknowledged writes; for tests and benchmarks only.
   */
  readonly fsync?: boolean;
  /** Log size that triggers a snapshot and a new log (bytes, default 64 MiB). */
  readonly compactEveryBytes?: number;
  /** Where recovery and compaction report (torn tails, stale locks, failures). Default: silent. */
  readonly log?: StorageLog;
  /** Replacement file operations for the write path (tests). */
  readonly io?: Partial<LogIo>;
}

/** Counters of the file store, for tests and benchmarks. */
export interface FileStoreStats {
  /** Appends to the log (one per group commit). */
  readonly batches: number;
  /** Records appended. */
  readonly records: number;
  /** fdatasync calls on the log. */
  readonly syncs: number;
  /** Snapshots written. */
  readonly compactions: number;
  /** Current size of the log (bytes). */
  readonly logBytes: number;
}

/** The file store: a {@link Storage} with counters. */
export interface FileStore extends Storage {
  /** Counters since open. */
  stats(): FileStoreStats;
}

const defaultIo: LogIo = {
  async write(fh, data, position) {
    let done = 0;
    while (done < data.byteLength) {
      const { bytesWritten } = await fh.write(data, done, data.byteLength - done, position + done);
      done += bytesWritten;
    }
  },
  sync: (fh) => fh.datasync(),
  truncate: (fh, length) => fh.truncate(length),
};

const silent: StorageLog = { info: () => {}, warn: () => {}, error: () => {} };

/** Opens (or creates) the store in `options.dir`. Throws ERR_CORRUPT, or ERR_IO (e.g. locked). */
export async function openFileStore(options: FileStoreOptions): Promise<FileStore> {
  const log = options.log ?? silent;
  const fsync = options.fsync ?? true;
  const compactEveryBytes = options.compactEveryBytes ?? DEFAULT_COMPACT_EVERY_BYTES;
  if (!Number.isInteger(compactEveryBytes) || compactEveryBytes < 1) {
    throw new TypeError(`compactEveryBytes must be a positive integer, got ${compactEveryBytes}`);
  }
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  const lock = await lockDir(options.dir, (pid) =>
    log.warn({ dir: options.dir, pid }, "taking over the storage lock of a process that is gone"),
  );
  try {
    const index = new MvccIndex(options);
    const r = await recoverDir(options.dir, index, fsync, log);
    const fh = await open(r.logPath, "r+");
    return new FileStoreImpl(
      options,
      { ...defaultIo, ...options.io },
      log,
      fsync,
      compactEveryBytes,
      index,
      lock,
      {
        ...r,
        fh,
      },
    );
  } catch (err) {
    await lock.release();
    throw err;
  }
}

interface Pending {
  readonly op: WriteOp;
  resolve(kv: KeyValue): void;
  reject(err: unknown): void;
}

interface ActiveLog {
  fh: FileHandle;
  logPath: string;
  logBase: number;
  logSize: number;
  snapshotPath: string | undefined;
}

class FileStoreImpl implements FileStore {
  private pending: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private broken: StorageError | undefined;
  private nextCompactAt: number;
  private readonly counters = { batches: 0, records: 0, syncs: 0, compactions: 0 };
  private readonly dir: string;
  private readonly retainFrom: () => number;

  constructor(
    options: FileStoreOptions,
    private readonly io: LogIo,
    private readonly log: StorageLog,
    private readonly fsync: boolean,
    private readonly compactEveryBytes: number,
    private readonly index: MvccIndex,
    private readonly lock: DirLock,
    private active: ActiveLog,
  ) {
    this.dir = options.dir;
    this.retainFrom = options.retainFrom ?? (() => Number.POSITIVE_INFINITY);
    this.nextCompactAt = compactEveryBytes;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.assertOpen();
    return this.index.get(key);
  }

  async range(prefix: string, options?: RangeOptions): Promise<RangeResult> {
    this.assertOpen();
    return this.index.range(prefix, options);
  }

  async create(key: string, value: Uint8Array, options?: StorageWriteOptions): Promise<KeyValue> {
    checkKey(key);
    return this.enqueue({ type: "create", key, value: copyValue(value), traceparent: options?.traceparent });
  }

  async update(
    key: string,
    value: Uint8Array,
    expectedModRevision?: number,
    options?: StorageWriteOptions,
  ): Promise<KeyValue> {
    checkKey(key);
    checkModRevision(expectedModRevision);
    return this.enqueue({
      type: "update",
      key,
      value: copyValue(value),
      expectedModRevision,
      traceparent: options?.traceparent,
    });
  }

  async delete(key: string, expectedModRevision?: number, options?: StorageWriteOptions): Promise<KeyValue> {
    checkKey(key);
    checkModRevision(expectedModRevision);
    return this.enqueue({ type: "delete", key, expectedModRevision, traceparent: options?.traceparent });
  }

  watch(prefix: string, afterRevision: number, signal: AbortSignal) {
    this.assertOpen();
    return this.index.watch(prefix, afterRevision, signal);
  }

  currentRevision(): number {
    this.assertOpen();
    return this.index.revision;
  }

  oldestRevision(): number {
    this.assertOpen();
    return this.index.oldestRevision;
  }

  stats(): FileStoreStats {
    return { ...this.counters, logBytes: this.active.logSize };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // Writes accepted before close() still commit.
      while (this.flushing !== undefined) await this.flushing;
      this.index.close();
      await this.active.fh.close();
      await this.lock.release();
    })();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw new StorageError("ERR_CLOSED", "storage is closed");
  }

  private enqueue(op: WriteOp): Promise<KeyValue> {
    this.assertOpen();
    if (this.broken !== undefined) return Promise.reject(this.broken);
    return new Promise<KeyValue>((resolve, reject) => {
      this.pending.push({ op, resolve, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  /** Commits queued writes batch by batch until the queue is empty. */
  private async flushLoop(): Promise<void> {
    // Writes issued in the same tick as the first one join its batch.
    await Promise.resolve();
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0);
        try {
          await this.commitBatch(batch);
        } catch (err) {
          // A bug, not an I/O failure (those are handled inside): settle the batch rather than hang.
          for (const p of batch) p.reject(err);
        }
        await this.maybeCompact();
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async commitBatch(batch: Pending[]): Promise<void> {
    if (this.broken !== undefined) {
      for (const p of batch) p.reject(this.broken);
      return;
    }
    const planned = this.index.plan(batch.map((p) => p.op));
    const events = planned.flatMap((p) => ("event" in p ? [p.event] : []));
    if (events.length > 0) {
      const data = encodeRecords(events.map((e) => recordOfEvent(e, false)));
      try {
        await this.io.write(this.active.fh, data, this.active.logSize);
        if (this.fsync) {
          await this.io.sync(this.active.fh);
          this.counters.syncs++;
        }
      } catch (cause) {
        // Nothing of this batch becomes visible; every write of it (also one that failed its
        // precondition only because of an earlier write of the batch) rejects with ERR_IO.
        const err = new StorageError("ERR_IO", `append to ${this.active.logPath} failed: ${message(cause)}`);
        err.cause = cause;
        await this.undoAppend(cause);
        for (const p of batch) p.reject(err);
        return;
      }
      this.active.logSize += data.length;
      this.counters.batches++;
      this.counters.records += events.length;
      this.index.commit(events);
    }
    planned.forEach((p, i) => {
      if ("event" in p) batch[i]!.resolve(p.event.kv);
      else batch[i]!.reject(p.error);
    });
  }

  /** Cuts a failed append off the log, so that the next append does not follow garbage. */
  private async undoAppend(cause: unknown): Promise<void> {
    const { fh, logPath, logSize } = this.active;
    try {
      await this.io.truncate(fh, logSize);
      if (this.fsync) await this.io.sync(fh);
      this.log.error({ err: cause, file: logPath }, "storage log append failed; the writes were rejected");
    } catch (err) {
      this.broken = new StorageError(
        "ERR_IO",
        `storage log ${logPath} could not be repaired after a failed append; reopen the store`,
      );
      this.broken.cause = err;
      this.log.error(
        { err, file: logPath },
        "storage log could not be repaired; refusing writes until reopened",
      );
    }
  }

  private async maybeCompact(): Promise<void> {
    const { logSize, logBase } = this.active;
    if (logSize < this.nextCompactAt || this.index.revision === logBase || this.broken !== undefined) return;
    try {
      await this.compact();
      this.nextCompactAt = this.compactEveryBytes;
    } catch (err) {
      // Try again once the log has grown by another compactEveryBytes.
      this.nextCompactAt = logSize + this.compactEveryBytes;
      this.log.error({ err, dir: this.dir }, "storage compaction failed; continuing with the current log");
    }
  }

  /** Writes a snapshot of the current state and switches to a new, empty log. */
  private async compact(): Promise<void> {
    const revision = this.index.revision;
    const retain = this.retainFrom();
    const snapshotPath = await writeSnapshot(
      this.dir,
      revision,
      this.index.entries(),
      this.index.historySince(retain),
      this.fsync,
    );
    let logPath: string | undefined;
    let fh: FileHandle | undefined;
    let size: number;
    try {
      logPath = await createLogFile(this.dir, revision, this.fsync);
      fh = await open(logPath, "r+");
      size = (await fh.stat()).size;
    } catch (err) {
      // Without its log the new snapshot must not stay: recovery would prefer it and find the
      // records appended to the old log after it. If it cannot be removed, stop writing.
      await fh?.close().catch(() => {});
      try {
        if (logPath !== undefined) await unlink(logPath);
        await unlink(snapshotPath);
      } catch (cleanup) {
        this.broken = new StorageError("ERR_IO", `compaction left ${snapshotPath} behind; reopen the store`);
        this.broken.cause = cleanup;
      }
      throw err;
    }
    const old = this.active;
    this.active = { fh, logPath, logBase: revision, logSize: size, snapshotPath };
    this.counters.compactions++;
    try {
      // Best effort: recovery deletes these too, after checking the snapshot covers the old log.
      await old.fh.close();
      await unlink(old.logPath);
      if (old.snapshotPath !== undefined) await unlink(old.snapshotPath);
      if (this.fsync) await fsyncDir(this.dir);
    } catch (err) {
      this.log.warn({ err, dir: this.dir }, "could not remove the files replaced by a compaction");
    }
    this.log.info(
      {
        dir: this.dir,
        revision,
        keys: this.index.size,
        oldestRevision: this.index.oldestRevision,
        snapshotPath,
      },
      "storage log compacted into a snapshot",
    );
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
