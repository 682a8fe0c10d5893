/**
 * Go duration syntax (`time.ParseDuration` / `Duration.String`), because Kubernetes flags such as
 * `--service-account-max-token-expiration=1h` use it. Values are milliseconds here.
 */
import type { ParseResult } from "./trace.js";

/** Milliseconds per Go unit. */
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3, // U+00B5 micro sign
  μs: 1e-3, // U+03BC Greek mu
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

const WHOLE = /^[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const PART = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

/**
 * Parses a Go duration such as `1h30m`, `10s`, `500ms`, `1.5h`, `-2m` or `0` into milliseconds
 * (fractional below one millisecond). A unit is required except for `0`.
 */
export function parseDuration(text: string): ParseResult<number> {
  if (/^[-+]?0$/.test(text)) return { value: 0 };
  if (!WHOLE.test(text))
    return { error: `not a duration (use Go syntax such as 1h30m, 10s, 500ms): "${text}"` };
  let total = 0;
  for (const m of text.matchAll(PART)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ""] ?? Number.NaN);
  }
  return { value: text.startsWith("-") ? -total : total };
}

/** Formats milliseconds the way Go's `Duration.String` does: `1h30m0s`, `10s`, `500ms`, `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  const sign = ms < 0 ? "-" : "";
  const abs = Math.abs(ms);
  if (abs < 1_000) return `${sign}${trim(abs)}ms`;
  const h = Math.floor(abs / 3_600_000);
  const m = Math.floor((abs % 3_600_000) / 60_000);
  const s = trim((abs % 60_000) / 1_000);
  if (h > 0) return `${sign}${h}h${m}m${s}s`;
  if (m > 0) return `${sign}${m}m${s}s`;
  return `${sign}${s}s`;
}

/** Up to 9 significant decimals, no trailing zeros (floating-point noise removed). */
function trim(n: number): string {
  return String(Number(n.toFixed(9)));
}
