/**
 * `Warning` response headers as kube-apiserver writes them (apimachinery `net.NewWarningHeader`,
 * RFC 7234 §5.5): `299 - "<text>"`, with `"` and `\` escaped by a backslash and everything else,
 * UTF-8 included, written as is. kubectl prints each as `Warning: <text>`.
 */

/** Kubernetes' per-warning limit is on the whole header set; texts this long are cut like this. */
const maxTextBytes = 4096;

/** `makeQuotedString`: the text in double quotes, `"` and `\` escaped. */
export function quoteWarningText(text: string): string {
  let out = '"';
  for (const ch of text) out += ch === '"' || ch === "\\" ? `\\${ch}` : ch;
  return `${out}"`;
}

/** One header value: `299 - "<text>"`. */
export function formatWarning(text: string): string {
  return `299 - ${quoteWarningText(text)}`;
}

/**
 * The header values for a request's warnings: empty and non-printable texts dropped, duplicates
 * once (the warning recorder de-duplicates), over-long texts truncated.
 */
export function warningHeaderValues(texts: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of texts) {
    let text = raw;
    // the recorder drops texts with control characters rather than corrupt the header
    // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point
    if (text === "" || /[\u0000-\u0008\u000a-\u001f\u007f]/.test(text)) continue;
    if (Buffer.byteLength(text, "utf8") > maxTextBytes)
      text = `${Buffer.from(text).subarray(0, maxTextBytes).toString("utf8")}...`;
    if (seen.has(text)) continue;
    seen.add(text);
    out.push(formatWarning(text));
  }
  return out;
}

/**
 * A header value as Node may send it: Node only takes Latin-1 strings, so UTF-8 bytes are handed
 * over one character per byte, which puts the UTF-8 on the wire unchanged.
 */
export function toHeaderLatin1(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII fast path
  return /^[\u0000-\u007f]*$/.test(value) ? value : Buffer.from(value, "utf8").toString("latin1");
}
