/**
 * Exponential back-off, used for redelivery delays of failed events and for retrying a consume
 * loop or connection step that failed.
 */

/**
 * The delay before retry number `attempt` (1 = first retry): `baseMs · 2^(attempt-1)`, capped at
 * `maxMs`. Attempts below 1 count as 1.
 *
 * @param attempt retry number, from 1
 * @param baseMs first delay, milliseconds
 * @param maxMs largest delay, milliseconds
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  // 2^31 already exceeds any sensible cap; avoid Infinity for huge attempt numbers.
  return Math.min(maxMs, baseMs * 2 ** Math.min(exponent, 31));
}
