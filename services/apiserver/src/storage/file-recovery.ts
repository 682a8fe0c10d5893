/**
 * Start-up of the file store: load the newest snapshot, replay its log, cut a torn tail, and tidy
 * what an interrupted compaction left behind. Every decision that could drop data is checked:
 * a log is only ever deleted when its records are all in the snapshot.
 */
import { open, readdir, readFile, truncate, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "@tokenplane/runtime";
import { fsyncDir, TEMP_SUFFIX } from "./durable-file.js";
import { createLogFile, logFileName, parseLogFileName, scanLog } from "./log-file.js";
import type { MvccIndex } from "./mvcc-index.js";
import { eventOfRecord } from "./record-events.js";
import { parseSnapshotFileName, readSnapshot, snapshotFileName } from "./snapshot-file.js";
import { StorageError } from "./storage.js";

/** The logger methods the file store uses. */
export type StorageLog = Pick<Logger, "info" | "warn" | "error">;

/** Where the recovered store continues. */
export interface Recovered {
  /** Path of the log to append to. */
  readonly logPath: string;
  /** The revision that log starts after (= the snapshot's revision, 0 without one). */
  readonly logBase: number;
  /** Bytes of that log (appends go here). */
  readonly logSize: number;
  /** Path of the snapshot loaded, if any. */
  readonly snapshotPath: string | undefined;
}

/** Loads `dir` into the empty `index`. Throws ERR_CORRUPT or ERR_IO. */
export async function recoverDir(
  dir: string,
  index: MvccIndex,
  fsync: boolean,
  log: StorageLog,
): Promise<Recovered> {
  const names = await readdir(dir);
  let tidied = false;
  for (const name of names) {
    if (name.endsWith(TEMP_SUFFIX)) {
      await unlink(join(dir, name)); // a snapshot or log whose creation a crash interrupted
      tidied = true;
    }
  }
  const snapshots = names.flatMap((n) => parseSnapshotFileName(n) ?? []).sort((a, b) => a - b);
  const logs = names.flatMap((n) => parseLogFileName(n) ?? []).sort((a, b) => a - b);

  const base = snapshots.at(-1) ?? 0;
  let snapshotPath: string | undefined;
  if (snapshots.length > 0) {
    snapshotPath = join(dir, snapshotFileName(base));
    const snap = readSnapshot(await readFile(snapshotPath), snapshotPath, base);
    index.restore(base, snap.kvs, snap.history);
  }
  const newer = logs.find((b) => b > base);
  if (newer !== undefined) {
    throw new StorageError(
      "ERR_CORRUPT",
      `log ${join(dir, logFileName(newer))} follows revision ${newer}, but the newest snapshot is at revision ${base}`,
    );
  }

  const logPath = join(dir, logFileName(base));
  let logSize: number;
  if (logs.includes(base)) {
    const scan = scanLog(await readFile(logPath), logPath, base);
    scan.records.forEach((r, i) => {
      const result = eventOfRecord(r, index.get(r.key));
      if ("error" in result) {
        throw new StorageError(
          "ERR_CORRUPT",
          `log ${logPath} is corrupt at offset ${scan.offsets[i]}: ${result.error}`,
        );
      }
      index.commit([result.event]);
    });
    if (scan.torn !== undefined) {
      // Never acknowledged: the append that a crash cut short (README.md, "Recovery").
      log.warn(
        { file: logPath, offset: scan.torn.offset, bytes: scan.torn.bytes, reason: scan.torn.reason },
        "dropping a torn record at the end of the storage log",
      );
      await truncate(logPath, scan.validBytes);
      if (fsync) await fsyncFile(logPath);
    }
    logSize = scan.validBytes;
  } else {
    await createLogFile(dir, base, fsync);
    logSize = (await readFile(logPath)).length;
  }

  // Leftovers of a compaction that a crash interrupted before it deleted them.
  for (const b of logs.filter((b) => b < base)) {
    const path = join(dir, logFileName(b));
    const scan = scanLog(await readFile(path), path, b);
    const last = scan.records.at(-1)?.revision ?? b;
    if (last > base) {
      throw new StorageError(
        "ERR_CORRUPT",
        `log ${path} has revisions up to ${last}, past the snapshot at ${base}`,
      );
    }
    await unlink(path);
    tidied = true;
  }
  for (const s of snapshots.filter((s) => s < base)) {
    await unlink(join(dir, snapshotFileName(s)));
    tidied = true;
  }
  if (tidied && fsync) await fsyncDir(dir);
  log.info(
    {
      dir,
      revision: index.revision,
      keys: index.size,
      oldestRevision: index.oldestRevision,
      logBytes: logSize,
    },
    "storage recovered",
  );
  return { logPath, logBase: base, logSize, snapshotPath };
}

async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, "r+");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
