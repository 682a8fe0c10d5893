/**
 * The retry policies of the work queue's `addRateLimited` (client-go `util/workqueue`
 * `default_rate_limiters.go`). client-go's `DefaultControllerRateLimiter`, the default: per-key
 * exponential back-off from 5 ms doubling up to 1000 s, combined with an overall token bucket of
 * at most 10 retries per second with bursts of 100. Pure logic on an injected {@link Clock}.
 */
import { type Clock, systemClock } from "./clock.js";

/** Decides how long a key waits before it is retried (client-go `TypedRateLimiter`). */
export interface RateLimiter {
  /** The delay before the next retry of `key`, milliseconds; records the failure. */
  when(key: string): number;
  /** Stops tracking `key` (it succeeded or was given up). */
  forget(key: string): void;
  /** How many times `key` has been retried since it was last forgotten. */
  numRequeues(key: string): number;
}

/** First per-key back-off of client-go's default controller rate limiter, milliseconds. */
export const DEFAULT_ITEM_BACKOFF_BASE_MS = 5;
/** Largest per-key back-off of client-go's default controller rate limiter, milliseconds (1000 s). */
export const DEFAULT_ITEM_BACKOFF_MAX_MS = 1_000_000;
/** Overall retries per second of client-go's default controller rate limiter. */
export const DEFAULT_BUCKET_QPS = 10;
/** Burst of client-go's default controller rate limiter's token bucket. */
export const DEFAULT_BUCKET_BURST = 100;

/**
 * Per-key exponential back-off (client-go `ItemExponentialFailureRateLimiter`): the n-th failure
 * of a key (from 0) waits `baseMs · 2^n`, capped at `maxMs`.
 *
 * @param baseMs first delay, milliseconds; default 5
 * @param maxMs largest delay, milliseconds; default 1000000 (1000 s)
 */
export function itemExponentialFailureRateLimiter(
  baseMs = DEFAULT_ITEM_BACKOFF_BASE_MS,
  maxMs = DEFAULT_ITEM_BACKOFF_MAX_MS,
): RateLimiter {
  const failures = new Map<string, number>();
  return {
    when(key) {
      const exp = failures.get(key) ?? 0;
      failures.set(key, exp + 1);
      // 2^1024 is Infinity; client-go caps on overflow the same way.
      const backoff = baseMs * 2 ** Math.min(exp, 1023);
      return Number.isFinite(backoff) && backoff <= maxMs ? backoff : maxMs;
    },
    forget: (key) => void failures.delete(key),
    numRequeues: (key) => failures.get(key) ?? 0,
  };
}

/**
 * An overall token bucket (client-go `BucketRateLimiter` over golang.org/x/time/rate): `qps`
 * tokens per second, at most `burst` saved up (the bucket starts full). Each retry takes a token;
 * without one it waits until a token will be there (reservations may run the bucket negative, so
 * waits queue up fairly). Keys are not tracked (`numRequeues` is 0).
 *
 * @param qps tokens per second; default 10
 * @param burst bucket size; default 100
 */
export function bucketRateLimiter(
  qps = DEFAULT_BUCKET_QPS,
  burst = DEFAULT_BUCKET_BURST,
  clock: Clock = systemClock,
): RateLimiter {
  let tokens = burst;
  let last = clock.now();
  return {
    when() {
      const now = clock.now();
      // A clock that moved backwards restarts the accounting from now (x/time/rate does too).
      const elapsedMs = Math.max(0, now - last);
      last = now;
      tokens = Math.min(burst, tokens + (elapsedMs / 1000) * qps);
      tokens -= 1;
      return tokens >= 0 ? 0 : (-tokens / qps) * 1000;
    },
    forget() {},
    numRequeues: () => 0,
  };
}

/** The longest delay of several limiters (client-go `MaxOfRateLimiter`); requeues = the largest count. */
export function maxOfRateLimiter(...limiters: readonly RateLimiter[]): RateLimiter {
  return {
    when(key) {
      let delay = 0;
      // Every limiter records the failure, so call them all.
      for (const l of limiters) delay = Math.max(delay, l.when(key));
      return delay;
    },
    forget(key) {
      for (const l of limiters) l.forget(key);
    },
    numRequeues(key) {
      let n = 0;
      for (const l of limiters) n = Math.max(n, l.numRequeues(key));
      return n;
    },
  };
}

/**
 * client-go's `DefaultControllerRateLimiter`: the larger of a per-key back-off from 5 ms to
 * 1000 s and an overall bucket of 10 retries per second with bursts of 100.
 */
export function defaultControllerRateLimiter(clock: Clock = systemClock): RateLimiter {
  return maxOfRateLimiter(
    itemExponentialFailureRateLimiter(DEFAULT_ITEM_BACKOFF_BASE_MS, DEFAULT_ITEM_BACKOFF_MAX_MS),
    bucketRateLimiter(DEFAULT_BUCKET_QPS, DEFAULT_BUCKET_BURST, clock),
  );
}
