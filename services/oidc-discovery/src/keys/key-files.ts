/**
 * Standalone mode: the keys come from `--service-account-key-file` files, read as kube-apiserver
 * reads them (reference §1.3: every key in every file, public or private, RSA or ECDSA, in
 * order) and re-read on demand (SIGHUP) and when a file's modification time, size or inode
 * changes (checked periodically), so a rotation is visible without a restart.
 */
import { readFile as fsReadFile, stat as fsStat } from "node:fs/promises";
import { parsePublicKeysPem, type VerificationKey } from "@tokenplane/crypto";
import type { Clock, Logger } from "@tokenplane/runtime";
import { OidcDiscoveryError } from "../errors.js";

/** File access, injectable for tests. */
export interface KeyFileSystem {
  readFile(path: string): Promise<Buffer>;
  /** A fingerprint of the file's identity and modification (mtime, size, inode); -1 if absent. */
  fingerprint(path: string): Promise<string>;
}

/** The real file system. */
export const nodeKeyFileSystem: KeyFileSystem = {
  readFile: (path) => fsReadFile(path),
  fingerprint: (path) =>
    fsStat(path).then(
      (s) => `${s.mtimeMs}/${s.size}/${s.ino}`,
      () => "-1",
    ),
};

// Go's *PathError text for the common failures of os.ReadFile, so that the message reads as
// kube-apiserver's would.
const GO_ERRNO: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EISDIR: "is a directory",
};

function readError(path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code ?? "";
  const text = GO_ERRNO[code];
  if (text !== undefined) return `open ${path}: ${text}`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Every public key of every file, in order (private keys give their public half). Throws
 * {@link OidcDiscoveryError} `ERR_KEY_FILE` with keyutil's texts: the read error
 * (`open <file>: no such file or directory`) or `error reading public key file <file>: <parse
 * error>`.
 */
export async function loadKeyFiles(
  files: readonly string[],
  fs: KeyFileSystem = nodeKeyFileSystem,
): Promise<VerificationKey[]> {
  const keys: VerificationKey[] = [];
  for (const file of files) {
    let data: Buffer;
    try {
      data = await fs.readFile(file);
    } catch (err) {
      throw new OidcDiscoveryError("ERR_KEY_FILE", readError(file, err));
    }
    try {
      keys.push(...parsePublicKeysPem(data));
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new OidcDiscoveryError("ERR_KEY_FILE", `error reading public key file ${file}: ${reason}`);
    }
  }
  return keys;
}

/** Options of {@link watchKeyFiles}. */
export interface WatchKeyFilesOptions {
  readonly files: readonly string[];
  /** Called with every successfully re-read key set (also when it did not change). */
  readonly onKeys: (keys: VerificationKey[]) => void;
  /** How often the files' fingerprints are compared, milliseconds. */
  readonly intervalMs: number;
  readonly clock: Clock;
  readonly log: Logger;
  readonly fs?: KeyFileSystem;
}

/** A running watch of the key files. */
export interface KeyFileWatch {
  /** Re-reads the files now (SIGHUP); resolves false when they could not be read (old keys kept). */
  reload(reason: string): Promise<boolean>;
  /** Stops the periodic check. */
  stop(): Promise<void>;
}

/**
 * Checks the files every `intervalMs` and re-reads them when one changed; `reload()` re-reads at
 * once. A file that cannot be read or parsed is logged and the previous keys stay published (a
 * half-written file must not blank the JWKS).
 */
export function watchKeyFiles(options: WatchKeyFilesOptions): KeyFileWatch {
  const fs = options.fs ?? nodeKeyFileSystem;
  const { files, log, clock } = options;
  const abort = new AbortController();
  const fingerprints = () => Promise.all(files.map((f) => fs.fingerprint(f))).then((f) => f.join("|"));
  let seen: Promise<string> = fingerprints();
  let chain: Promise<unknown> = Promise.resolve();

  const reload = (reason: string): Promise<boolean> => {
    // One reload at a time, in order.
    const run = chain.then(async () => {
      seen = fingerprints();
      await seen;
      try {
        const keys = await loadKeyFiles(files, fs);
        log.debug({ reason, kids: keys.map((k) => k.kid) }, "key files read");
        options.onKeys(keys);
        return true;
      } catch (err) {
        log.error({ err, reason }, "key files could not be re-read; keeping the keys published so far");
        return false;
      }
    });
    chain = run;
    return run;
  };

  const loop = (async () => {
    for (;;) {
      try {
        await clock.sleep(options.intervalMs, abort.signal);
      } catch {
        return;
      }
      const [now, before] = await Promise.all([fingerprints(), seen]);
      if (now !== before) await reload("key file changed");
    }
  })();

  return {
    reload,
    async stop() {
      abort.abort();
      await loop;
      await chain;
    },
  };
}
