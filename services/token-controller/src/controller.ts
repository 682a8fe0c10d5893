/**
 * What every controller of this service is: built from a config (informers, client, clock, log),
 * registering its informer handlers when built, and `run` until its signal aborts
 * (kube-controller-manager's `Run(ctx, workers)`).
 */
import type { Clock, Logger } from "@tokenplane/runtime";

/** A controller of kube-controller-manager, as this service runs it. */
export interface Controller {
  /** kube-controller-manager's controller name (`serviceaccount-token-controller`, ...). */
  readonly name: string;
  /**
   * Waits for the controller's informers to sync, then works until `signal` aborts; resolves once
   * its workers have stopped.
   */
  run(signal: AbortSignal): Promise<void>;
}

/** Something with a synced state, as `cache.InformerSynced`. */
export interface Synced {
  hasSynced(): boolean;
}

/** How often {@link waitForCacheSync} checks, milliseconds (client-go's syncedPollPeriod). */
export const SYNCED_POLL_MS = 100;

/**
 * Resolves true once every informer has synced, false when `signal` aborts first
 * (client-go `cache.WaitForNamedCacheSync`: workers must not start on a partial cache, or the
 * ServiceAccounts controller would create a `default` it merely has not listed yet).
 */
export async function waitForCacheSync(
  name: string,
  informers: readonly Synced[],
  options: { clock: Clock; log: Logger; signal: AbortSignal },
): Promise<boolean> {
  const { clock, log, signal } = options;
  log.info({ caches: name }, "waiting for caches to sync");
  while (!informers.every((i) => i.hasSynced())) {
    if (signal.aborted) return false;
    try {
      await clock.sleep(SYNCED_POLL_MS, signal);
    } catch {
      return false;
    }
  }
  log.info({ caches: name }, "caches are synced");
  return true;
}
