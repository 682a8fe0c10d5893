/**
 * Go's `%q` formatting, because Kubernetes error texts are built with it and tests compare them
 * byte for byte (reference §8.1, §1.4 step 6).
 */

/** `strconv.Quote`: a double-quoted Go string literal with Go escapes. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case "\\":
        out += "\\\\";
        continue;
      case "\n":
        out += "\\n";
        continue;
      case "\r":
        out += "\\r";
        continue;
      case "\t":
        out += "\\t";
        continue;
      case "\x07":
        out += "\\a";
        continue;
      case "\b":
        out += "\\b";
        continue;
      case "\f":
        out += "\\f";
        continue;
      case "\v":
        out += "\\v";
        continue;
    }
    if (cp < 0x20 || cp === 0x7f) {
      out += `\\x${cp.toString(16).padStart(2, "0")}`;
    } else if (cp >= 0x80 && cp < 0xa0) {
      out += `\\u${cp.toString(16).padStart(4, "0")}`;
    } else {
      out += ch;
    }
  }
  return `${out}"`;
}

/** `fmt.Sprintf("%q", []string{...})`: `["a" "b"]` — space separated, no commas. */
export function goQuoteSlice(values: readonly string[]): string {
  return `[${values.map(goQuote).join(" ")}]`;
}
