/**
 * Small helpers for writing files so that a crash leaves either the old or the new content, never
 * a mix: write a temporary file, flush it, rename it over the target, flush the directory.
 * Used by the file store (snapshots, new logs) and the outbox (watermark).
 */
import { open, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";

/** Suffix of temporary files; the file store deletes leftovers on open. */
export const TEMP_SUFFIX = ".tmp";

/**
 * Replaces `path` with `chunks` atomically. With `fsync` (default true) the data and the rename
 * are flushed to disk before the promise resolves; without it only atomicity is kept.
 */
export async function writeFileAtomic(
  path: string,
  chunks: Iterable<Uint8Array>,
  options: { fsync?: boolean } = {},
): Promise<void> {
  const fsync = options.fsync ?? true;
  const tmp = path + TEMP_SUFFIX;
  const fh = await open(tmp, "w", 0o600);
  try {
    for (const chunk of chunks) {
      let written = 0;
      while (written < chunk.byteLength) {
        const { bytesWritten } = await fh.write(chunk, written, chunk.byteLength - written);
        written += bytesWritten;
      }
    }
    if (fsync) await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
  if (fsync) await fsyncDir(dirname(path));
}

/** Flushes a directory's entries (creations, renames, deletions) to disk. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
