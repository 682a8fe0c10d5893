import { describe, expect, it } from "vitest";
import type { CryptoError } from "./errors.js";
import {
  validateJwksUri,
  validateServiceAccountIssuer,
  validateServiceAccountIssuers,
} from "./flag-validation.js";

const messages = (errors: readonly (CryptoError | undefined)[]) => errors.map((e) => e?.message);

describe("validateServiceAccountIssuers (reference §1.3)", () => {
  it.each<[string, string[], string[]]>([
    ["none", [], ["service-account-issuer is a required flag"]],
    ["one URL", ["https://kubernetes.default.svc.cluster.local"], []],
    ["a plain string (legacy style)", ["kubernetes/serviceaccount"], []],
    ["several", ["https://a.example", "api", "foo:bar"], []],
    ["empty", [""], ["service-account-issuer should not be an empty string"]],
    [
      "duplicate",
      ["https://a", "https://b", "https://a"],
      ['service-account-issuer "https://a" is already specified'],
    ],
    [
      "a ':' but not a URL (host with a space)",
      ["https://a b"],
      [
        'service-account-issuer "https://a b" contained a \':\' but was not a valid URL: parse "https://a b": invalid character " " in host name',
      ],
    ],
    [
      "missing protocol scheme",
      [":foo"],
      [
        'service-account-issuer ":foo" contained a \':\' but was not a valid URL: parse ":foo": missing protocol scheme',
      ],
    ],
    [
      "bad port",
      ["https://host:port"],
      [
        'service-account-issuer "https://host:port" contained a \':\' but was not a valid URL: parse "https://host:port": invalid port ":port" after host',
      ],
    ],
    [
      "colon in first path segment",
      ["1a:b"],
      [
        'service-account-issuer "1a:b" contained a \':\' but was not a valid URL: parse "1a:b": first path segment in URL cannot contain colon',
      ],
    ],
    [
      "control character",
      ["https://a\nb"],
      [
        'service-account-issuer "https://a\\nb" contained a \':\' but was not a valid URL: parse "https://a\\nb": net/url: invalid control character in URL',
      ],
    ],
    [
      "every error, in order",
      ["", "x", "x"],
      [
        "service-account-issuer should not be an empty string",
        'service-account-issuer "x" is already specified',
      ],
    ],
  ])("%s", (_name, issuers, want) => {
    expect(messages(validateServiceAccountIssuers(issuers))).toEqual(want);
  });

  it("single value check", () => {
    expect(validateServiceAccountIssuer("https://ok.example")).toBeUndefined();
    expect(validateServiceAccountIssuer("")?.code).toBe("ERR_ISSUER_URL");
  });
});

describe("validateJwksUri (reference §1.3)", () => {
  it.each<[string, string | undefined]>([
    ["", undefined],
    ["https://example.com/openid/v1/jwks", undefined],
    ["HTTPS://example.com/jwks", undefined],
    [
      "http://example.com/jwks",
      "service-account-jwks-uri requires https scheme, parsed as: http://example.com/jwks",
    ],
    ["example.com/jwks", "service-account-jwks-uri requires https scheme, parsed as: example.com/jwks"],
    [
      "http://example.com/a b",
      "service-account-jwks-uri requires https scheme, parsed as: http://example.com/a%20b",
    ],
    [
      "https://x:y/jwks",
      'service-account-jwks-uri must be a valid URL: parse "https://x:y/jwks": invalid port ":y" after host',
    ],
    [
      "https://x/%zz",
      'service-account-jwks-uri must be a valid URL: parse "https://x/%zz": invalid URL escape "%zz"',
    ],
    [
      "https://x/#%z",
      'service-account-jwks-uri must be a valid URL: parse "https://x/#%z": invalid URL escape "%z"',
    ],
  ])("%j", (uri, want) => {
    const error = validateJwksUri(uri);
    expect(error?.message).toBe(want);
    if (want !== undefined) expect(error?.code).toBe("ERR_JWKS_URI");
  });
});
