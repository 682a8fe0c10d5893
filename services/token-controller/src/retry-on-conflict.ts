/**
 * client-go's `retry.RetryOnConflict`: run a read-modify-write again while it fails with 409
 * Conflict, pausing between attempts (`wait.Backoff` with factor 0: a constant pause plus jitter).
 */
import { isConflict } from "@tokenplane/apimachinery";
import type { Clock } from "@tokenplane/runtime";

/** A retry schedule (client-go `wait.Backoff` without growth). */
export interface ConflictBackoff {
  /** Attempts in all (the last failure is returned). */
  readonly steps: number;
  /** Pause between attempts, milliseconds. */
  readonly durationMs: number;
  /** Up to `jitter · durationMs` is added to each pause at random. */
  readonly jitter: number;
}

/** The tokens controller's RemoveTokenBackoff: 10 attempts, 100 ms apart, jitter 1.0. */
export const REMOVE_TOKEN_BACKOFF: ConflictBackoff = { steps: 10, durationMs: 100, jitter: 1.0 };

/**
 * Runs `fn` until it does not throw a Conflict, at most `backoff.steps` times; resolves with its
 * result or rejects with the last error (a non-Conflict error at once).
 *
 * @param random source of jitter in [0, 1); default `Math.random`
 */
export async function retryOnConflict<T>(
  clock: Clock,
  backoff: ConflictBackoff,
  fn: () => Promise<T>,
  random: () => number = Math.random,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isConflict(err) || attempt >= backoff.steps) throw err;
      await clock.sleep(backoff.durationMs * (1 + backoff.jitter * random()));
    }
  }
}
