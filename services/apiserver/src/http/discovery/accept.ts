/**
 * `Accept` header parsing as Kubernetes negotiates it (the goautoneg order): media ranges with
 * their parameters, sorted by `q` (highest first), then concrete types before wildcards, keeping
 * the client's order otherwise. kubectl lists what it prefers first
 * (`application/json;as=Table;v=v1;g=meta.k8s.io,...,application/json`).
 */

/** One media range of an Accept header. */
export interface MediaRange {
  /** `application`, or `*`. */
  type: string;
  /** `json`, or `*`. */
  subtype: string;
  /** Parameters other than `q`, names lower-cased (`g`, `v`, `as`). */
  params: Record<string, string>;
  /** Quality, 0..1; 1 when absent. 0 means "not acceptable". */
  q: number;
}

/** The acceptable media ranges of a header, in preference order. A missing header accepts anything. */
export function parseAccept(header: string | undefined): MediaRange[] {
  if (header === undefined || header.trim() === "") return [{ type: "*", subtype: "*", params: {}, q: 1 }];
  const out: MediaRange[] = [];
  for (const part of header.split(",")) {
    const [mt, ...rest] = part.split(";");
    const m = /^\s*([^/\s]+)\/([^/\s]+)\s*$/.exec(mt ?? "");
    if (!m) continue;
    const range: MediaRange = { type: m[1]!.toLowerCase(), subtype: m[2]!.toLowerCase(), params: {}, q: 1 };
    for (const p of rest) {
      const eq = p.indexOf("=");
      if (eq < 0) continue;
      const name = p.slice(0, eq).trim().toLowerCase();
      const value = p
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, "$1");
      if (name === "q") {
        const q = Number(value);
        range.q = Number.isFinite(q) ? Math.min(Math.max(q, 0), 1) : 1;
      } else {
        range.params[name] = value;
      }
    }
    if (range.q > 0) out.push(range);
  }
  // Array.prototype.sort is stable: equal entries keep the client's order.
  return out.sort((a, b) => {
    if (a.q !== b.q) return b.q - a.q;
    if ((a.type === "*") !== (b.type === "*")) return a.type === "*" ? 1 : -1;
    if ((a.subtype === "*") !== (b.subtype === "*")) return a.subtype === "*" ? 1 : -1;
    return 0;
  });
}

/** True when the range accepts `application/json` without any conversion parameters. */
export function acceptsPlainJson(r: MediaRange): boolean {
  const typeOk = r.type === "*" || (r.type === "application" && (r.subtype === "*" || r.subtype === "json"));
  return typeOk && r.params.as === undefined;
}

/** True when the range is `application/json` asking for `as=<kind>;g=<group>;v=<version>`. */
export function acceptsJsonAs(r: MediaRange, kind: string, group: string, version: string): boolean {
  return (
    r.type === "application" &&
    r.subtype === "json" &&
    r.params.as === kind &&
    r.params.g === group &&
    r.params.v === version
  );
}
