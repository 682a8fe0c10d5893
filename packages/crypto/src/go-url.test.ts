import { describe, expect, it } from "vitest";
import { goUrlString, parseGoUrl } from "./go-url.js";

describe("parseGoUrl / goUrlString (Go net/url)", () => {
  it.each([
    ["https://issuer.example.com", "https", "issuer.example.com", "", ""],
    ["https://issuer.example.com?foo=bar#baz", "https", "issuer.example.com", "foo=bar", "baz"],
    ["issuer.example.com/openid/v1/jwks", "", "", "", ""],
    ["HTTPS://Example.com:443/p", "https", "Example.com:443", "", ""],
    ["https://[::1]:8443/jwks", "https", "[::1]:8443", "", ""],
    ["mailto:someone", "mailto", "", "", ""],
  ])("%s", (raw, scheme, host, query, fragment) => {
    const parsed = parseGoUrl(raw);
    expect(
      parsed.ok && [parsed.url.scheme, parsed.url.host, parsed.url.rawQuery, parsed.url.rawFragment],
    ).toEqual([scheme, host, query, fragment]);
  });

  it.each([
    ["https://example.com/openid/v1/jwks", "https://example.com/openid/v1/jwks"],
    ["https://example.com/a b", "https://example.com/a%20b"],
    ["http://u@h/p?q#f", "http://u@h/p?q#f"],
    ["https://h/p?", "https://h/p?"],
    ["mailto:x", "mailto:x"],
    ["file:///etc/hosts", "file:///etc/hosts"],
    ["a/b", "a/b"],
  ])("String(%s) = %s", (raw, want) => {
    const parsed = parseGoUrl(raw);
    expect(parsed.ok && goUrlString(parsed.url)).toBe(want);
  });

  it.each([
    ["https://[::1/x", "parse \"https://[::1/x\": missing ']' in host"],
    ["https://a%2Fb/", 'parse "https://a%2Fb/": invalid URL escape "%2F"'],
    ["https://a<b/", undefined],
    ["https://a^b/", 'parse "https://a^b/": invalid character "^" in host name'],
    ["https://a b@h/", 'parse "https://a b@h/": net/url: invalid userinfo'],
  ])("error for %s", (raw, want) => {
    const parsed = parseGoUrl(raw);
    expect(parsed.ok ? undefined : parsed.error).toBe(want);
  });
});
