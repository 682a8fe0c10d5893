/**
 * Times as Kubernetes writes them: RFC 3339 in UTC with whole seconds (`2022-04-16T06:31:04Z`),
 * `metav1.Time`'s JSON form (reference §8.3).
 */

/** Formats milliseconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (sub-second part dropped). */
export function formatRfc3339(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** Formats with microseconds (`metav1.MicroTime`), used by a few fields. */
export function formatRfc3339Micro(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 19)}.${iso.slice(20, 23)}000Z`;
}

/** Parses an RFC 3339 time; returns undefined when the text is not one. */
export function parseRfc3339(s: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(s)) return undefined;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The UTC calendar date `YYYY-MM-DD` (Go layout `2006-01-02`), used by legacy-token labels. */
export function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
