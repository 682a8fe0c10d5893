/**
 * `k8s.io/apimachinery/pkg/util/duration.HumanDuration`, the AGE format of `kubectl get`: about two
 * or three significant figures — `45s`, `119s`, `2m`, `3m2s`, `10m`, `179m`, `3h`, `7h59m`, `8h`,
 * `47h`, `2d`, `7d23h`, `8d`, `729d`, `2y`, `7y364d`, `8y`. Anything under 2 s in the past shows
 * as `0s` (clock skew); earlier than that in the future is `<invalid>`.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Go's `int(x)` of a quotient: truncation toward zero. */
const div = (a: number, b: number): number => Math.trunc(a / b);

/** HumanDuration of a duration in milliseconds. */
export function humanDuration(ms: number): string {
  const seconds = div(ms, SECOND);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = div(ms, MINUTE);
  if (minutes < 10) {
    const s = div(ms, SECOND) % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = div(ms, HOUR);
  if (hours < 8) {
    const m = div(ms, MINUTE) % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${div(hours, 24)}d` : `${div(hours, 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${div(hours, 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = div(hours, 24) % 365;
    return dy === 0 ? `${div(hours, 24 * 365)}y` : `${div(hours, 24 * 365)}y${dy}d`;
  }
  return `${div(hours, 24 * 365)}y`;
}

/**
 * The printers' `translateTimestampSince`: `<unknown>` for a missing time, else the
 * HumanDuration from `time` to `now` (both in ms since the epoch).
 */
export function translateTimestampSince(time: number | undefined, now: number): string {
  if (time === undefined) return "<unknown>";
  return humanDuration(now - time);
}
