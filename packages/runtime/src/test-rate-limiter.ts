/**
 * A rate limiter for the work queue's tests: always the same delay, counting requeues per key.
 * Not exported from the package.
 */
import type { RateLimiter } from "./rate-limiter.js";

/** A limiter that always says `ms` (tests of the queue and its workers, not of back-off). */
export function fixedRateLimiter(ms: number): RateLimiter {
  const counts = new Map<string, number>();
  return {
    when: (k) => {
      counts.set(k, (counts.get(k) ?? 0) + 1);
      return ms;
    },
    forget: (k) => void counts.delete(k),
    numRequeues: (k) => counts.get(k) ?? 0,
  };
}
