/**
 * Child process of the crash test in file-store.test.ts: writes to a file store in a data
 * directory as fast as it can with 8 concurrent writers, and reports every acknowledged write to
 * the parent over IPC, until the parent kills it with SIGKILL.
 *
 * Usage: node --import tsx crash-writer.ts <dir>
 */
import { openFileStore } from "../file-store.js";

/** One acknowledged write, as sent to the parent. */
export interface CrashAck {
  readonly key: string;
  readonly value: string;
  readonly revision: number;
}

const dir = process.argv[2];
if (dir === undefined || process.send === undefined)
  throw new Error("usage: crash-writer.ts <dir> (with IPC)");
const send = process.send.bind(process);
const store = await openFileStore({ dir });
const enc = new TextEncoder();

async function writer(w: number): Promise<never> {
  for (let n = 0; ; n++) {
    // Creates of new keys, and every third write an update of the writer's counter key.
    const counter = n % 3 === 2;
    const key = counter ? `/crash/counter/${w}` : `/crash/${w}/${n}`;
    const value = `${w}:${n}`;
    const kv =
      counter && n > 2
        ? await store.update(key, enc.encode(value))
        : await store.create(key, enc.encode(value));
    send({ key, value, revision: kv.modRevision } satisfies CrashAck);
  }
}

send("ready");
await Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)));
