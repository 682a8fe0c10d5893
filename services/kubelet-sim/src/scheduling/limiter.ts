/**
 * Bounded concurrency for calls to the apiserver, so a burst of new pods does not stampede it:
 * at most `max` calls run, the rest wait in line (first come, first served). A 429 Too Many
 * Requests answer pauses the whole line for its `retryAfterSeconds` (at least 1 s, as client-go
 * waits for Retry-After) and the call is retried in place; every other failure is the caller's to
 * retry (with back-off, through the scheduler loop).
 */
import { StatusError } from "@tokenplane/apimachinery";
import type { Clock } from "@tokenplane/runtime";

/** Options of {@link createLimiter}. */
export interface LimiterOptions {
  /** The line's name (logs, metrics). */
  readonly name: string;
  /** Calls in flight at once; at least 1. */
  readonly max: number;
  readonly clock: Clock;
  /** Most 429 retries of one call before its error is handed to the caller; default 10. */
  readonly maxThrottleRetries?: number;
  /** Called on each 429 with the pause chosen, milliseconds. */
  readonly onThrottled?: (pauseMs: number) => void;
}

/** A line of calls with bounded concurrency. */
export interface Limiter {
  readonly name: string;
  /** Runs `call` when a slot is free (after any 429 pause); retries it in place on 429. */
  run<T>(call: () => Promise<T>): Promise<T>;
  /** Calls running. */
  active(): number;
  /** Calls waiting for a slot. */
  waiting(): number;
}

/** The pause a 429 asks for: `details.retryAfterSeconds`, at least 1 s. */
export function retryAfterMs(err: unknown): number | undefined {
  if (!(err instanceof StatusError) || err.code !== 429) return undefined;
  const seconds = err.status.details?.retryAfterSeconds ?? 0;
  return Math.max(1, seconds) * 1000;
}

/** Creates a limiter. */
export function createLimiter(options: LimiterOptions): Limiter {
  const max = Math.max(1, options.max);
  const maxRetries = options.maxThrottleRetries ?? 10;
  const { clock } = options;
  let active = 0;
  let pausedUntil = 0;
  /** A pause timer is set (one for the whole line). */
  let pausing = false;
  const line: Array<() => void> = [];

  const pump = () => {
    if (clock.now() < pausedUntil) {
      if (!pausing) {
        pausing = true;
        void clock.sleep(pausedUntil - clock.now()).then(() => {
          pausing = false;
          pump();
        });
      }
      return;
    }
    while (active < max && line.length > 0) {
      active++;
      line.shift()!();
    }
  };
  const slot = () =>
    new Promise<void>((resolve) => {
      line.push(resolve);
      pump();
    });
  const release = () => {
    active--;
    pump();
  };

  return {
    name: options.name,
    async run<T>(call: () => Promise<T>): Promise<T> {
      for (let attempt = 0; ; attempt++) {
        await slot();
        try {
          return await call();
        } catch (err) {
          const pause = retryAfterMs(err);
          if (pause === undefined || attempt >= maxRetries) throw err;
          pausedUntil = Math.max(pausedUntil, clock.now() + pause);
          options.onThrottled?.(pause);
        } finally {
          release();
        }
      }
    },
    active: () => active,
    waiting: () => line.length,
  };
}
