/**
 * JSON the way go-jose emits a JWT payload: object keys sorted at every level (go-jose merges the
 * claim sets through `map[string]interface{}`, and Go marshals maps in key order — reference §1.1
 * "Serialization facts"), and strings escaped like Go's `encoding/json` (`<`, `>`, `&`, U+2028,
 * U+2029 as `\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`). Internal to the package.
 */

const GO_HTML_ESCAPES = /[<>&\u2028\u2029]/g;
// Anything JSON.stringify or Go would escape: quote, backslash, controls, <, >, &, U+2028/9, and
// surrogates (a lone one is escaped by JSON.stringify). Strings without these are written as is.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters must be escaped.
const NEEDS_ESCAPE = /["\\\u0000-\u001f<>&\u2028\u2029\ud800-\udfff]/;
// A separate non-global twin for test(): a /g regex keeps lastIndex between calls.
const HAS_GO_HTML_ESCAPE = /[<>&\u2028\u2029]/;

function goEscape(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** A JSON string literal as Go's encoding/json writes it. */
export function goJsonString(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return `"${value}"`;
  const json = JSON.stringify(value);
  return HAS_GO_HTML_ESCAPE.test(json) ? json.replace(GO_HTML_ESCAPES, goEscape) : json;
}

/**
 * Serializes `value` with object keys sorted (by UTF-16 code unit, which equals Go's byte order
 * for the ASCII keys JWT claims use) at every level. `undefined` members are omitted, as
 * `omitempty` pointers are in Go. Throws TypeError for values JSON cannot carry.
 */
export function sortedJson(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return goJsonString(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`cannot encode non-finite number ${value} as JSON`);
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "object": {
      // Plain loops: this runs for every signed token (bench/sign-verify.ts).
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ",";
          out += sortedJson(value[i] ?? null);
        }
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let out = "{";
      let first = true;
      for (const key of keys) {
        const member = record[key];
        if (member === undefined) continue;
        if (!first) out += ",";
        first = false;
        out += `${goJsonString(key)}:${sortedJson(member)}`;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`cannot encode ${typeof value} as JSON`);
  }
}
