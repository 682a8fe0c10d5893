/**
 * The service-account keys of the apiserver: the signing key (`--service-account-signing-key-file`)
 * and the verification keys (every key of every `--service-account-key-file`). They are re-read on
 * `reload()` (SIGHUP, and a periodic check of the files' modification times), so keys can be
 * rotated without a restart (reference §1.3: all keys verify, the signing key signs):
 *   1. add the new public key to a key file → both keys verify;
 *   2. switch the signing key file to the new key → new tokens carry the new kid;
 *   3. later remove the old public key → old tokens stop verifying.
 * Each change bumps `generation`; listeners (the OIDC documents, the key-set gRPC, the NATS
 * notification) follow it.
 */
import { readFile, stat } from "node:fs/promises";
import {
  createKeySet,
  type KeySet,
  parseKeysPem,
  parseSigningKeyPem,
  type SigningKey,
  type VerificationKey,
} from "@tokenplane/crypto";
import type { Logger } from "@tokenplane/runtime";

export interface KeyManagerOptions {
  signingKeyFile: string;
  keyFiles: readonly string[];
  log: Logger;
}

/** The current keys; values are replaced wholesale on a change. */
export interface KeyManager {
  signingKey(): SigningKey;
  verificationKeys(): readonly VerificationKey[];
  keySet(): KeySet;
  /** Increases with every change of the key material. */
  generation(): number;
  /** Re-reads the files; resolves true when something changed. A bad file keeps the old keys. */
  reload(): Promise<boolean>;
  /** Called after each change. */
  onChange(listener: () => void): void;
  /** True when a key file's modification time differs from the last (re)load. */
  changedOnDisk(): Promise<boolean>;
}

interface Loaded {
  signing: SigningKey;
  verification: VerificationKey[];
  keySet: KeySet;
  fingerprint: string;
}

async function load(options: KeyManagerOptions): Promise<Loaded> {
  const signing = parseSigningKeyPem(await readFile(options.signingKeyFile));
  const verification: VerificationKey[] = [];
  const seen = new Set<string>();
  for (const file of options.keyFiles) {
    for (const key of parseKeysPem(await readFile(file))) {
      // The same public key listed twice (e.g. as private and public PEM) verifies once.
      if (seen.has(key.kid)) continue;
      seen.add(key.kid);
      verification.push(key);
    }
  }
  const fingerprint = `${signing.kid}|${verification.map((k) => k.kid).join(",")}`;
  return { signing, verification, keySet: createKeySet(verification), fingerprint };
}

/** Loads the keys; throws (at start-up) when a file is missing or holds no usable key. */
export async function createKeyManager(options: KeyManagerOptions): Promise<KeyManager> {
  if (!options.signingKeyFile) throw new Error("service-account-signing-key-file is a required flag");
  if (options.keyFiles.length === 0) {
    throw new Error(
      "either `--service-account-key-file` or `--service-account-signing-endpoint` must be set",
    );
  }
  let current = await load(options);
  let generation = 1;
  const listeners: (() => void)[] = [];
  let mtimes = await fileTimes(options);
  const manager: KeyManager = {
    signingKey: () => current.signing,
    verificationKeys: () => current.verification,
    keySet: () => current.keySet,
    generation: () => generation,
    onChange: (l) => listeners.push(l),
    async reload() {
      let next: Loaded;
      try {
        mtimes = await fileTimes(options);
        next = await load(options);
      } catch (err) {
        options.log.error({ err }, "service-account keys could not be re-read; keeping the current keys");
        return false;
      }
      if (next.fingerprint === current.fingerprint) return false;
      current = next;
      generation++;
      options.log.info(
        { signingKid: next.signing.kid, verificationKids: next.verification.map((k) => k.kid), generation },
        "service-account keys changed",
      );
      for (const l of listeners) l();
      return true;
    },
    changedOnDisk: async () => (await fileTimes(options)) !== mtimes,
  };
  return manager;
}

async function fileTimes(options: KeyManagerOptions): Promise<string> {
  const files = [options.signingKeyFile, ...options.keyFiles];
  const times = await Promise.all(
    files.map((f) =>
      stat(f).then(
        (s) => s.mtimeMs,
        () => -1,
      ),
    ),
  );
  return times.join(",");
}

/** Re-reads the keys on SIGHUP and when a key file's modification time changes (checked every `intervalMs`). */
export function watchKeyFiles(manager: KeyManager, intervalMs: number): () => void {
  const onHup = () => void manager.reload();
  process.on("SIGHUP", onHup);
  const timer = setInterval(() => {
    void manager.changedOnDisk().then((c) => (c ? manager.reload() : false));
  }, intervalMs);
  timer.unref();
  return () => {
    process.off("SIGHUP", onHup);
    clearInterval(timer);
  };
}
