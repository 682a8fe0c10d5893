/**
 * JSON syntax checking with the error texts of Go's `encoding/json` scanner, which Kubernetes
 * uses to read request bodies: a malformed body must get the same 400 message a kube-apiserver
 * gives (`invalid character '}' looking for beginning of object key string`,
 * `unexpected end of JSON input`). `JSON.parse` words its errors differently, so bodies are
 * checked here first and parsed by `JSON.parse` only once they are known to be valid.
 */

/** Go's `quoteChar`: how the scanner names the offending byte. */
export function goQuoteChar(c: number): string {
  if (c === 0x27) return `'\\''`;
  if (c === 0x22) return `'"'`;
  switch (c) {
    case 0x07:
      return "'\\a'";
    case 0x08:
      return "'\\b'";
    case 0x0c:
      return "'\\f'";
    case 0x0a:
      return "'\\n'";
    case 0x0d:
      return "'\\r'";
    case 0x09:
      return "'\\t'";
    case 0x0b:
      return "'\\v'";
    case 0x5c:
      return "'\\\\'";
  }
  // a lone byte >= 0x80 is invalid UTF-8, which strconv.Quote prints as \x..
  if (c < 0x20 || c === 0x7f || c >= 0x80) return `'\\x${c.toString(16).padStart(2, "0")}'`;
  return `'${String.fromCharCode(c)}'`;
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

class JsonSyntaxError extends Error {}

function invalid(c: number, context: string): JsonSyntaxError {
  return new JsonSyntaxError(`invalid character ${goQuoteChar(c)} ${context}`);
}

const END = "unexpected end of JSON input";

/**
 * Returns undefined when `data` is one valid JSON value (surrounded by optional whitespace), else
 * the message Go's `json.Unmarshal` would give.
 */
export function goJsonSyntaxError(data: Uint8Array): string | undefined {
  let i = 0;
  const n = data.length;
  const peek = () => (i < n ? data[i]! : -1);
  const skipSpace = () => {
    while (i < n && isSpace(data[i]!)) i++;
  };

  // Each container remembers what it is; the context strings name where a byte was unexpected.
  const value = (): void => {
    skipSpace();
    const c = peek();
    if (c < 0) throw new JsonSyntaxError(END);
    if (c === 0x7b) object();
    else if (c === 0x5b) array();
    else if (c === 0x22) string();
    else if (c === 0x2d || isDigit(c)) number();
    else if (c === 0x74) literal("true");
    else if (c === 0x66) literal("false");
    else if (c === 0x6e) literal("null");
    else throw invalid(c, "looking for beginning of value");
  };

  const literal = (word: string): void => {
    i++; // the first letter was checked by the caller
    for (let k = 1; k < word.length; k++) {
      const c = peek();
      if (c < 0) throw new JsonSyntaxError(END);
      if (c !== word.charCodeAt(k)) throw invalid(c, `in literal ${word} (expecting '${word[k]}')`);
      i++;
    }
  };

  const number = (): void => {
    if (peek() === 0x2d) {
      i++;
      const c = peek();
      if (c < 0) throw new JsonSyntaxError(END);
      if (!isDigit(c)) throw invalid(c, "in numeric literal");
    }
    if (peek() === 0x30) i++;
    else while (isDigit(peek())) i++;
    if (peek() === 0x2e) {
      i++;
      const c = peek();
      if (c < 0) throw new JsonSyntaxError(END);
      if (!isDigit(c)) throw invalid(c, "after decimal point in numeric literal");
      while (isDigit(peek())) i++;
    }
    if (peek() === 0x65 || peek() === 0x45) {
      i++;
      if (peek() === 0x2b || peek() === 0x2d) i++;
      const c = peek();
      if (c < 0) throw new JsonSyntaxError(END);
      if (!isDigit(c)) throw invalid(c, "in exponent of numeric literal");
      while (isDigit(peek())) i++;
    }
  };

  const string = (): void => {
    i++; // opening quote
    for (;;) {
      const c = peek();
      if (c < 0) throw new JsonSyntaxError(END);
      i++;
      if (c === 0x22) return;
      if (c < 0x20) throw invalid(c, "in string literal");
      if (c === 0x5c) {
        const e = peek();
        if (e < 0) throw new JsonSyntaxError(END);
        i++;
        if (e === 0x75) {
          for (let k = 0; k < 4; k++) {
            const h = peek();
            if (h < 0) throw new JsonSyntaxError(END);
            if (!isHex(h)) throw invalid(h, "in \\u hexadecimal character escape");
            i++;
          }
        } else if (![0x62, 0x66, 0x6e, 0x72, 0x74, 0x5c, 0x2f, 0x22].includes(e)) {
          throw invalid(e, "in string escape code");
        }
      }
    }
  };

  const object = (): void => {
    i++; // {
    skipSpace();
    if (peek() === 0x7d) {
      i++;
      return;
    }
    for (;;) {
      skipSpace();
      const c = peek();
      if (c < 0) throw new JsonSyntaxError(END);
      if (c !== 0x22) throw invalid(c, "looking for beginning of object key string");
      string();
      skipSpace();
      const colon = peek();
      if (colon < 0) throw new JsonSyntaxError(END);
      if (colon !== 0x3a) throw invalid(colon, "after object key");
      i++;
      value();
      skipSpace();
      const next = peek();
      if (next < 0) throw new JsonSyntaxError(END);
      i++;
      if (next === 0x7d) return;
      if (next !== 0x2c) throw invalid(next, "after object key:value pair");
    }
  };

  const array = (): void => {
    i++; // [
    skipSpace();
    if (peek() === 0x5d) {
      i++;
      return;
    }
    for (;;) {
      value();
      skipSpace();
      const next = peek();
      if (next < 0) throw new JsonSyntaxError(END);
      i++;
      if (next === 0x5d) return;
      if (next !== 0x2c) throw invalid(next, "after array element");
    }
  };

  try {
    value();
    skipSpace();
    if (i < n) throw invalid(data[i]!, "after top-level value");
    return undefined;
  } catch (err) {
    if (err instanceof JsonSyntaxError) return err.message;
    if (err instanceof RangeError) return "exceeded max depth";
    throw err;
  }
}
