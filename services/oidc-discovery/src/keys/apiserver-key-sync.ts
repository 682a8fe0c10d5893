/**
 * Apiserver mode: the keys come from the apiserver's `tokenplane.v1.KeySetService/GetKeySet`
 * (the union of its `--service-account-key-file` keys). The key set is fetched at start (retried
 * with back-off until the apiserver answers), again whenever a `KeySetChanged` event arrives on
 * NATS, and every `resyncMs` in case an event was missed (core NATS delivers at most once).
 */
import { createPublicKey } from "node:crypto";
import { type VerificationKey, verificationKeyFrom } from "@tokenplane/crypto";
import type { tokenplanev1 } from "@tokenplane/proto";
import { backoffDelay, type Clock, type Logger } from "@tokenplane/runtime";
import { OidcDiscoveryError } from "../errors.js";

/**
 * The verification keys of a key set, in order. Each key is rebuilt from its SubjectPublicKeyInfo
 * and its kid and algorithm derived again (reference §6.3); a key whose sent kid or alg differs
 * from the derived ones is refused — publishing it would make relying parties look a token's kid
 * up under the wrong key. Throws {@link OidcDiscoveryError} `ERR_KEY_SET`.
 */
export function keysFromKeySet(keySet: Pick<tokenplanev1.KeySet, "keys">): VerificationKey[] {
  return keySet.keys.map((sent, index) => {
    let key: VerificationKey;
    try {
      key = verificationKeyFrom(
        createPublicKey({ key: Buffer.from(sent.spkiDer), format: "der", type: "spki" }),
      );
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new OidcDiscoveryError(
        "ERR_KEY_SET",
        `key ${index} (kid "${sent.kid}") is not usable: ${reason}`,
      );
    }
    if (key.kid !== sent.kid || key.alg !== sent.alg) {
      throw new OidcDiscoveryError(
        "ERR_KEY_SET",
        `key ${index} is sent as kid "${sent.kid}" alg "${sent.alg}" but its public key gives kid "${key.kid}" alg "${key.alg}"`,
      );
    }
    return key;
  });
}

/** Options of {@link startApiserverKeySync}. */
export interface ApiserverKeySyncOptions {
  /** One GetKeySet call (the apiserver client's `keys.getKeySet({})`). */
  readonly fetch: (signal: AbortSignal) => Promise<tokenplanev1.KeySet>;
  /** Called with the keys of every fetched key set, and why it was fetched (`start`, `resync`, a trigger's reason). */
  readonly onKeys: (keys: VerificationKey[], keySet: tokenplanev1.KeySet, reason: string) => void;
  /** Fetch again after this long without an event, milliseconds. */
  readonly resyncMs: number;
  /** First retry delay after a failed fetch, milliseconds; default 250. */
  readonly retryBaseMs?: number;
  /** Longest retry delay, milliseconds; default 10000. */
  readonly retryMaxMs?: number;
  readonly clock: Clock;
  readonly log: Logger;
}

/** A running key-set sync. */
export interface ApiserverKeySync {
  /** Fetches again soon (an event arrived); several triggers before the fetch make one fetch. */
  trigger(reason: string): void;
  /** Number of successful fetches so far. */
  fetches(): number;
  /** Stops the loop (an in-flight fetch is aborted). */
  stop(): Promise<void>;
}

/** Starts the fetch loop; see the module comment. */
export function startApiserverKeySync(options: ApiserverKeySyncOptions): ApiserverKeySync {
  const { clock, log } = options;
  const retryBaseMs = options.retryBaseMs ?? 250;
  const retryMaxMs = options.retryMaxMs ?? 10_000;
  const stopped = new AbortController();
  let wake = new AbortController();
  let pending: string | undefined = "start";
  let successes = 0;

  const fetchOnce = async (reason: string): Promise<boolean> => {
    let keySet: tokenplanev1.KeySet;
    try {
      keySet = await options.fetch(stopped.signal);
    } catch (err) {
      if (stopped.signal.aborted) return false;
      log.warn({ err, reason }, "cannot fetch the key set from the apiserver; retrying");
      return false;
    }
    successes++;
    let keys: VerificationKey[];
    try {
      keys = keysFromKeySet(keySet);
    } catch (err) {
      // The fetch worked; the content is wrong. Retrying at once would not help: keep the
      // published keys and look again at the next event or resync.
      log.error({ err, generation: String(keySet.generation) }, "the apiserver's key set is not usable");
      return true;
    }
    options.onKeys(keys, keySet, reason);
    return true;
  };

  // Sleeps until `ms` passed or trigger() was called; false once stopped.
  const wait = async (ms: number): Promise<boolean> => {
    const both = AbortSignal.any([stopped.signal, wake.signal]);
    try {
      await clock.sleep(ms, both);
    } catch {
      // Woken or stopped.
    }
    return !stopped.signal.aborted;
  };

  const loop = (async () => {
    let failures = 0;
    for (;;) {
      const reason = pending ?? "resync";
      pending = undefined;
      if (wake.signal.aborted) wake = new AbortController();
      const ok = await fetchOnce(reason);
      if (stopped.signal.aborted) return;
      failures = ok ? 0 : failures + 1;
      const delay = ok ? options.resyncMs : backoffDelay(failures, retryBaseMs, retryMaxMs);
      if (pending !== undefined && ok) continue;
      if (!(await wait(delay))) return;
    }
  })();

  return {
    trigger(reason) {
      pending = reason;
      wake.abort();
    },
    fetches: () => successes,
    async stop() {
      stopped.abort();
      await loop;
    },
  };
}
