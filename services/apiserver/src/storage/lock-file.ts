/**
 * The `LOCK` file that makes one process the owner of a data directory: created exclusively with
 * the owner's pid. A lock whose pid is not a live process is stale (the owner crashed) and is
 * taken over. Node has no flock(), so two processes taking over the same stale lock in the same
 * millisecond could both succeed; starting two apiservers on one directory at once is the
 * operator error this guards against, not a race it must win.
 */
import { open, readFile, realpath, unlink } from "node:fs/promises";
import { join } from "node:path";
import { StorageError } from "./storage.js";

/** Name of the lock file in the data directory. */
export const LOCK_FILE = "LOCK";

// Directories locked by this process: a LOCK holding our own pid is ours only if we took it;
// otherwise it is left by an earlier process that had the same pid (pid 1 in containers).
const heldHere = new Set<string>();

/** A held lock. */
export interface DirLock {
  /** Removes the lock file. */
  release(): Promise<void>;
}

/** Takes the lock of `dir` or throws ERR_IO naming the process that holds it. */
export async function lockDir(dir: string, onStale: (pid: number) => void): Promise<DirLock> {
  const real = await realpath(dir);
  const path = join(real, LOCK_FILE);
  if (heldHere.has(real)) {
    throw new StorageError("ERR_IO", `data directory ${dir} is locked by this process (pid ${process.pid})`);
  }
  // Reserved before the first await, so that a second open in this process sees it.
  heldHere.add(real);
  try {
    await createLock(dir, path, onStale);
  } catch (err) {
    heldHere.delete(real);
    throw err;
  }
  return {
    async release() {
      await unlink(path).catch(() => {});
      heldHere.delete(real);
    },
  };
}

async function createLock(dir: string, path: string, onStale: (pid: number) => void): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(path, "wx", 0o600);
      try {
        await fh.writeFile(`${process.pid}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw ioError(err, path);
    }
    const text = await readFile(path, "utf8").catch(() => "");
    const pid = Number.parseInt(text.trim(), 10);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new StorageError("ERR_IO", `data directory ${dir} is locked by process ${pid} (${path})`);
    }
    onStale(pid);
    await unlink(path).catch(() => {});
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function ioError(err: unknown, path: string): StorageError {
  const e = new StorageError("ERR_IO", `cannot create lock file ${path}: ${(err as Error).message}`);
  e.cause = err;
  return e;
}
