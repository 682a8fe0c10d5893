/**
 * A re-creation of Go's `net/url` `Parse` and `(*URL).String` for the checks Kubernetes makes on
 * issuer and JWKS URLs (reference §1.3, §6.1). WHATWG `URL` differs from Go in ways that change
 * outcomes (Go parses `issuer.example.com` as a path with no scheme, refuses `%2F` in a host, keeps
 * `https:opaque` opaque), so the rules are re-implemented here. Error texts follow Go's
 * (`parse "<url>": <reason>`); the reasons cover Go's common cases (invalid control character,
 * missing protocol scheme, colon in first path segment, invalid port, invalid character in host
 * name, invalid URL escape, invalid userinfo) but are not guaranteed byte-for-byte for every input.
 * Internal to the package.
 */
import { goQuote } from "./go-format.js";

/** A parsed URL, Go-style: `host` unescaped, path/query/fragment kept as written. */
export interface GoUrl {
  readonly scheme: string;
  readonly opaque: string;
  /** Raw userinfo (before `@`), undefined when absent. */
  readonly user: string | undefined;
  readonly host: string;
  /** Path as written (escaped form). */
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly forceQuery: boolean;
  /** Fragment as written (escaped form). */
  readonly rawFragment: string;
  readonly omitHost: boolean;
}

type Mode = "path" | "host" | "userPassword" | "fragment";

function isAlnum(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);
}

// net/url shouldEscape.
function shouldEscape(c: number, mode: Mode): boolean {
  if (isAlnum(c)) return false;
  const ch = String.fromCharCode(c);
  if (mode === "host" && `!$&'()*+,;=:[]<>"`.includes(ch)) return false;
  if ("-_.~".includes(ch)) return false;
  if ("$&+,/:;=?@".includes(ch)) {
    switch (mode) {
      case "path":
        return ch === "?";
      case "userPassword":
        return ch === "@" || ch === "/" || ch === "?" || ch === ":";
      case "fragment":
        return false;
      default:
        break;
    }
  }
  if (mode === "fragment" && "!()*".includes(ch)) return false;
  return true;
}

/** net/url escape, over UTF-8 bytes, upper-case hex. */
export function goEscape(value: string, mode: Mode): string {
  let out = "";
  for (const byte of Buffer.from(value, "utf8")) {
    out += shouldEscape(byte, mode)
      ? `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
      : String.fromCharCode(byte);
  }
  return out;
}

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

class UrlError {
  constructor(readonly reason: string) {}
}

// net/url unescape: validates escapes (and host characters) and decodes.
function goUnescape(value: string, mode: Mode): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; ) {
    const c = value.charCodeAt(i);
    if (c === 0x25) {
      if (!isHex(value[i + 1]) || !isHex(value[i + 2])) {
        throw new UrlError(`invalid URL escape ${goQuote(value.slice(i, i + 3))}`);
      }
      const escaped = value.slice(i, i + 3);
      // Hosts may only %-encode non-ASCII bytes (and %25 in IPv6 zones).
      if (mode === "host" && Number.parseInt(value[i + 1]!, 16) < 8 && escaped !== "%25") {
        throw new UrlError(`invalid URL escape ${goQuote(escaped)}`);
      }
      bytes.push(Number.parseInt(value.slice(i + 1, i + 3), 16));
      i += 3;
      continue;
    }
    if (mode === "host" && c < 0x80 && shouldEscape(c, "host")) {
      throw new UrlError(`invalid character ${goQuote(value[i]!)} in host name`);
    }
    for (const b of Buffer.from(String.fromCodePoint(value.codePointAt(i)!), "utf8")) bytes.push(b);
    i += value.codePointAt(i)! > 0xffff ? 2 : 1;
  }
  return Buffer.from(bytes).toString("utf8");
}

function validOptionalPort(port: string): boolean {
  return port === "" || /^:[0-9]*$/.test(port);
}

function parseHost(host: string): string {
  if (host.startsWith("[")) {
    const i = host.lastIndexOf("]");
    if (i < 0) throw new UrlError("missing ']' in host");
    const colonPort = host.slice(i + 1);
    if (!validOptionalPort(colonPort)) throw new UrlError(`invalid port ${goQuote(colonPort)} after host`);
  } else {
    const i = host.lastIndexOf(":");
    if (i !== -1) {
      const colonPort = host.slice(i);
      if (!validOptionalPort(colonPort)) throw new UrlError(`invalid port ${goQuote(colonPort)} after host`);
    }
  }
  return goUnescape(host, "host");
}

const USERINFO = /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/;

function getScheme(raw: string): [string, string] {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (/[a-zA-Z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return ["", raw];
      continue;
    }
    if (c === ":") {
      if (i === 0) throw new UrlError("missing protocol scheme");
      return [raw.slice(0, i), raw.slice(i + 1)];
    }
    return ["", raw];
  }
  return ["", raw];
}

function parse(raw: string): Omit<GoUrl, "rawFragment"> {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: Go rejects ASCII control bytes.
  if (/[\x00-\x1f\x7f]/.test(raw)) throw new UrlError("net/url: invalid control character in URL");
  const empty = {
    scheme: "",
    opaque: "",
    user: undefined,
    host: "",
    rawQuery: "",
    forceQuery: false,
    omitHost: false,
  };
  if (raw === "*") return { ...empty, rawPath: "*" };
  const [schemeRaw, afterScheme] = getScheme(raw);
  const scheme = schemeRaw.toLowerCase();
  let rest = afterScheme;
  let rawQuery = "";
  let forceQuery = false;
  if (rest.endsWith("?") && rest.split("?").length === 2) {
    forceQuery = true;
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf("?");
    if (q >= 0) {
      rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith("/")) {
    if (scheme !== "") return { ...empty, scheme, opaque: rest, rawQuery, forceQuery, rawPath: "" };
    const slash = rest.indexOf("/");
    const segment = slash < 0 ? rest : rest.slice(0, slash);
    if (segment.includes(":")) throw new UrlError("first path segment in URL cannot contain colon");
  }
  let user: string | undefined;
  let host = "";
  let omitHost = false;
  if ((scheme !== "" || !rest.startsWith("///")) && rest.startsWith("//")) {
    let authority = rest.slice(2);
    rest = "";
    const slash = authority.indexOf("/");
    if (slash >= 0) {
      rest = authority.slice(slash);
      authority = authority.slice(0, slash);
    }
    const at = authority.lastIndexOf("@");
    host = parseHost(at < 0 ? authority : authority.slice(at + 1));
    if (at >= 0) {
      user = authority.slice(0, at);
      if (!USERINFO.test(user)) throw new UrlError("net/url: invalid userinfo");
      goUnescape(user, "userPassword");
    }
  } else if (scheme !== "" && rest.startsWith("/")) {
    omitHost = true;
  }
  goUnescape(rest, "path");
  return { scheme, opaque: "", user, host, rawPath: rest, rawQuery, forceQuery, omitHost };
}

/** Result of {@link parseGoUrl}. */
export type GoUrlResult =
  | { readonly ok: true; readonly url: GoUrl }
  | { readonly ok: false; readonly error: string };

/** Go `url.Parse(raw)`; the error is the `*url.Error` text, `parse "<url>": <reason>`. */
export function parseGoUrl(raw: string): GoUrlResult {
  const hash = raw.indexOf("#");
  const u = hash < 0 ? raw : raw.slice(0, hash);
  const fragment = hash < 0 ? "" : raw.slice(hash + 1);
  let parsed: Omit<GoUrl, "rawFragment">;
  try {
    parsed = parse(u);
  } catch (error) {
    if (error instanceof UrlError) return { ok: false, error: `parse ${goQuote(u)}: ${error.reason}` };
    throw error;
  }
  try {
    goUnescape(fragment, "fragment");
  } catch (error) {
    if (error instanceof UrlError) return { ok: false, error: `parse ${goQuote(raw)}: ${error.reason}` };
    throw error;
  }
  return { ok: true, url: { ...parsed, rawFragment: fragment } };
}

// net/url validEncoded: may the escaped form be used as written?
function validEncoded(value: string, mode: Mode): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ("!$&'()*+,;=:@[]%".includes(value[i]!)) continue;
    if (c >= 0x80 || shouldEscape(c, mode)) return false;
  }
  return true;
}

function escapedForm(raw: string, mode: Mode): string {
  return validEncoded(raw, mode) ? raw : goEscape(goUnescape(raw, mode), mode);
}

/** Go `(*URL).String()`. Userinfo is written as given. */
export function goUrlString(u: GoUrl): string {
  let out = "";
  if (u.scheme !== "") out += `${u.scheme}:`;
  if (u.opaque !== "") {
    out += u.opaque;
  } else {
    if (u.scheme !== "" || u.host !== "" || u.user !== undefined) {
      if (!(u.omitHost && u.host === "" && u.user === undefined)) {
        if (u.host !== "" || u.rawPath !== "" || u.user !== undefined) out += "//";
        if (u.user !== undefined) out += `${u.user}@`;
        if (u.host !== "") out += goEscape(u.host, "host");
      }
    }
    const path = escapedForm(u.rawPath, "path");
    if (path !== "" && !path.startsWith("/") && u.host !== "") out += "/";
    if (out === "") {
      const slash = path.indexOf("/");
      if ((slash < 0 ? path : path.slice(0, slash)).includes(":")) out += "./";
    }
    out += path;
  }
  if (u.forceQuery || u.rawQuery !== "") out += `?${u.rawQuery}`;
  if (u.rawFragment !== "") out += `#${escapedForm(u.rawFragment, "fragment")}`;
  return out;
}
