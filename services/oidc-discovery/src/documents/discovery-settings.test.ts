import { CryptoError } from "@tokenplane/crypto";
import { describe, expect, it } from "vitest";
import { OidcDiscoveryError } from "../errors.js";
import { checkDiscoveryFlags, externalAddress } from "./discovery-settings.js";

function outcome(issuers: string[], jwksUri = "", address = "127.0.0.1:8443"): string {
  try {
    return `ok ${checkDiscoveryFlags(issuers, { jwksUri, externalAddress: address })}`;
  } catch (err) {
    if (err instanceof OidcDiscoveryError || err instanceof CryptoError) return `${err.code}: ${err.message}`;
    throw err;
  }
}

describe("checkDiscoveryFlags: kube-apiserver's flag validation (reference §1.3)", () => {
  it.each<[string, string[], string, string]>([
    ["no issuer", [], "", "ERR_INVALID_FLAGS: service-account-issuer is a required flag"],
    ["empty issuer", [""], "", "ERR_INVALID_FLAGS: service-account-issuer should not be an empty string"],
    [
      "issuer with ':' that is not a URL",
      ["https://host:port"],
      "",
      'ERR_INVALID_FLAGS: service-account-issuer "https://host:port" contained a \':\' but was not a valid URL: parse "https://host:port": invalid port ":port" after host',
    ],
    [
      "repeated issuer",
      ["https://a.example", "https://a.example"],
      "",
      'ERR_INVALID_FLAGS: service-account-issuer "https://a.example" is already specified',
    ],
    [
      "jwks-uri that is not https",
      ["https://a.example"],
      "http://a.example/openid/v1/jwks",
      "ERR_INVALID_FLAGS: service-account-jwks-uri requires https scheme, parsed as: http://a.example/openid/v1/jwks",
    ],
    [
      "jwks-uri that does not parse",
      ["https://a.example"],
      "https://a.example:port/jwks",
      'ERR_INVALID_FLAGS: service-account-jwks-uri must be a valid URL: parse "https://a.example:port/jwks": invalid port ":port" after host',
    ],
    [
      "every failure at once, as Go's aggregate",
      ["", "https://a.example", "https://a.example"],
      "http://x",
      'ERR_INVALID_FLAGS: [service-account-issuer should not be an empty string, service-account-issuer "https://a.example" is already specified, service-account-jwks-uri requires https scheme, parsed as: http://x]',
    ],
  ])("%s", (_name, issuers, jwksUri, want) => {
    expect(outcome(issuers, jwksUri)).toBe(want);
  });
});

describe("checkDiscoveryFlags: discovery construction (reference §6.1, §11.16)", () => {
  it.each<[string, string[], string, string, string]>([
    ["https issuer", ["https://issuer.example.com"], "", "127.0.0.1:8443", "ok https://issuer.example.com"],
    [
      "only the first issuer is published; the others need only be valid",
      ["https://a.example", "kubernetes/serviceaccount"],
      "",
      "h:1",
      "ok https://a.example",
    ],
    [
      "http issuer",
      ["http://issuer.example.com"],
      "",
      "h:1",
      "ERR_ISSUER_URL: issuer URL must use https scheme, got: http://issuer.example.com",
    ],
    [
      "issuer without scheme",
      ["issuer.example.com"],
      "",
      "h:1",
      "ERR_ISSUER_URL: issuer URL must use https scheme, got: issuer.example.com",
    ],
    [
      "a plain string issuer (fine for kube-apiserver, not for discovery)",
      ["kubernetes/serviceaccount"],
      "",
      "h:1",
      "ERR_ISSUER_URL: issuer URL must use https scheme, got: kubernetes/serviceaccount",
    ],
    [
      "issuer with query",
      ["https://issuer.example.com?foo=bar"],
      "",
      "h:1",
      "ERR_ISSUER_URL: issuer URL may not include a query, got: https://issuer.example.com?foo=bar",
    ],
    [
      "issuer with fragment",
      ["https://issuer.example.com#baz"],
      "",
      "h:1",
      "ERR_ISSUER_URL: issuer URL may not include a fragment, got: https://issuer.example.com#baz",
    ],
    [
      "external address with a scheme",
      ["https://issuer.example.com"],
      "",
      "https://192.0.2.1:80",
      "ERR_JWKS_URI: attempted to build jwks_uri from external address https://192.0.2.1:80, but could not construct a valid URL. " +
        'Error: parse "https://https:%2F%2F192.0.2.1:80/openid/v1/jwks": invalid URL escape "%2F"',
    ],
    [
      "a jwks-uri makes the external address irrelevant",
      ["https://issuer.example.com"],
      "https://keys.example.com/jwks",
      "https://192.0.2.1:80",
      "ok https://issuer.example.com",
    ],
  ])("%s", (_name, issuers, jwksUri, address, want) => {
    expect(outcome(issuers, jwksUri, address)).toBe(want);
  });
});

describe("externalAddress", () => {
  const hostname = () => "node-1";
  it.each<[string, string, string, number, string]>([
    ["bind address", "", "127.0.0.1", 8443, "127.0.0.1:8443"],
    ["external host name wins", "oidc.example.com", "127.0.0.1", 443, "oidc.example.com:443"],
    ["unspecified IPv4 bind → host name", "", "0.0.0.0", 8443, "node-1:8443"],
    ["unspecified IPv6 bind → host name", "", "::", 8443, "node-1:8443"],
    ["IPv6 in brackets", "", "::1", 8443, "[::1]:8443"],
    ["IPv6 external host", "2001:db8::1", "0.0.0.0", 443, "[2001:db8::1]:443"],
  ])("%s", (_name, externalHostname, bindAddress, port, want) => {
    expect(externalAddress({ externalHostname, bindAddress, port, hostname })).toBe(want);
  });
});
