/**
 * The outbox's watermark file: the last revision whose event `publish` acknowledged, as decimal
 * text and a newline. Replaced atomically (temporary file, fsync, rename), so a crash leaves the
 * old or the new value, never a torn one.
 */
import { readFileSync } from "node:fs";
import { writeFileAtomic } from "../storage/durable-file.js";

/** What {@link readWatermark} found. */
export type WatermarkRead =
  | { readonly revision: number }
  /** The file does not exist (a new installation): revision 0. */
  | { readonly revision: 0; readonly missing: true }
  /** The file exists but does not hold a revision: revision 0 (republishing is safe, skipping is not). */
  | { readonly revision: 0; readonly invalid: string };

/**
 * Reads the watermark synchronously (start-up only; the file is a few bytes), so that the wiring
 * can pass it to `openFileStore({ retainFrom })` before the outbox starts.
 */
export function readWatermark(file: string): WatermarkRead {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { revision: 0, missing: true };
    throw err;
  }
  const trimmed = text.trim();
  if (!/^\d{1,16}$/.test(trimmed)) return { revision: 0, invalid: text.slice(0, 40) };
  return { revision: Number.parseInt(trimmed, 10) };
}

/** Persists `revision` as the watermark (durable when the promise resolves). */
export async function writeWatermark(file: string, revision: number): Promise<void> {
  await writeFileAtomic(file, [Buffer.from(`${revision}\n`)]);
}
