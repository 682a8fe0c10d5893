/**
 * Small re-creations of Go formatting that leaks into Kubernetes error texts: `%q` of a string and
 * of a string slice, and `utilerrors.NewAggregate(...).Error()`. Internal to the package.
 */

// Go's strconv.IsPrint is true for letters, marks, numbers, punctuation, symbols and ASCII space;
// everything in the Unicode "other" (C*) and "separator" (Z*) categories except U+0020 is escaped.
const NON_PRINTABLE = /[\p{C}\p{Z}]/u;

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
  '"': '\\"',
  "\\": "\\\\",
};

/** Go `strconv.Quote` / `%q` of a string: double-quoted with Go escapes. */
export function goQuote(value: string): string {
  let out = '"';
  for (const ch of value) {
    const short = SHORT_ESCAPES[ch];
    if (short !== undefined) {
      out += short;
      continue;
    }
    const cp = ch.codePointAt(0)!;
    if (ch !== " " && NON_PRINTABLE.test(ch)) {
      if (cp >= 0xd800 && cp <= 0xdfff) {
        // A lone surrogate is invalid UTF-8 once Go sees it; Go prints U+FFFD's escape form.
        out += "\\ufffd";
      } else if (cp < 0x80) {
        out += `\\x${cp.toString(16).padStart(2, "0")}`;
      } else if (cp <= 0xffff) {
        out += `\\u${cp.toString(16).padStart(4, "0")}`;
      } else {
        out += `\\U${cp.toString(16).padStart(8, "0")}`;
      }
      continue;
    }
    out += ch;
  }
  return `${out}"`;
}

/** Go `%q` of a `[]string`: `["a" "b"]` (space separated, no commas); `[]` when empty. */
export function goQuoteList(values: readonly string[]): string {
  return `[${values.map(goQuote).join(" ")}]`;
}

/**
 * `k8s.io/apimachinery/pkg/util/errors.NewAggregate(errs).Error()`: one message alone as is;
 * several de-duplicated, joined by ", " inside brackets (a single distinct message has no brackets).
 */
export function aggregateMessage(messages: readonly string[]): string {
  if (messages.length === 0) return "";
  if (messages.length === 1) return messages[0]!;
  const seen = [...new Set(messages)];
  return seen.length === 1 ? seen[0]! : `[${seen.join(", ")}]`;
}
