import { describe, expect, it } from "vitest";
import { CryptoError } from "./errors.js";
import { KeySet } from "./key-set.js";
import { generateSigningKey, verificationKeyFrom } from "./keys.js";
import { createOpenIdMetadata, JWKS_PATH, type OpenIdMetadataOptions } from "./openid-metadata.js";
import { DISCOVERY, ecTestPublicKey, JWKS, rsaTestPublicKey } from "./testdata/vectors.js";

// openidmetadata_test.go TestNewOpenIDMetadata (reference §6.1, §6.2).
const ISSUER = "https://issuer.example.com";
const keys = [verificationKeyFrom(rsaTestPublicKey()), verificationKeyFrom(ecTestPublicKey())];

function errorOf(options: OpenIdMetadataOptions): [string, string] | undefined {
  try {
    createOpenIdMetadata(options);
    return undefined;
  } catch (error) {
    if (!(error instanceof CryptoError)) throw error;
    return [error.code, error.message];
  }
}

describe("createOpenIdMetadata: documents", () => {
  it("valid inputs: byte-identical discovery document and JWKS", () => {
    const md = createOpenIdMetadata({ issuer: ISSUER, jwksUri: ISSUER + JWKS_PATH, keys });
    expect(md.configuration).toBe(DISCOVERY);
    expect(md.jwks).toBe(JWKS);
    expect(md.jwksUri).toBe("https://issuer.example.com/openid/v1/jwks");
  });

  it("defaults jwks_uri to the external address", () => {
    const md = createOpenIdMetadata({
      issuer: ISSUER,
      externalAddress: "192.0.2.1:80",
      keys: new KeySet(keys),
    });
    expect(md.configuration).toBe(
      '{"issuer":"https://issuer.example.com","jwks_uri":"https://192.0.2.1:80/openid/v1/jwks",' +
        '"response_types_supported":["id_token"],"subject_types_supported":["public"],' +
        '"id_token_signing_alg_values_supported":["ES256","RS256"]}',
    );
    expect(md.jwks).toBe(JWKS);
  });

  it("prefers the JWKS URI over the external address", () => {
    const md = createOpenIdMetadata({
      issuer: ISSUER,
      jwksUri: "https://keys.example.com/k",
      externalAddress: "h:1",
      keys,
    });
    expect(md.jwksUri).toBe("https://keys.example.com/k");
  });

  it("accepts IP addresses instead of domains", () => {
    const md = createOpenIdMetadata({
      issuer: "https://192.0.2.1:80",
      jwksUri: `https://192.0.2.1:80${JWKS_PATH}`,
      keys,
    });
    expect(md.configuration).toBe(
      '{"issuer":"https://192.0.2.1:80","jwks_uri":"https://192.0.2.1:80/openid/v1/jwks",' +
        '"response_types_supported":["id_token"],"subject_types_supported":["public"],' +
        '"id_token_signing_alg_values_supported":["ES256","RS256"]}',
    );
  });

  it("lists sorted unique algorithms", () => {
    const mixed = [
      generateSigningKey("ES512"),
      generateSigningKey("RS256"),
      generateSigningKey("ES256"),
      generateSigningKey("RS256"),
    ];
    const md = createOpenIdMetadata({ issuer: ISSUER, externalAddress: "example.com", keys: mixed });
    expect(JSON.parse(md.configuration).id_token_signing_alg_values_supported).toEqual([
      "ES256",
      "ES512",
      "RS256",
    ]);
    expect(md.configuration).not.toContain("authorization_endpoint");
  });
});

describe("createOpenIdMetadata: construction errors", () => {
  const jwksUri = ISSUER + JWKS_PATH;
  it.each<[string, OpenIdMetadataOptions, [string, string]]>([
    ["empty issuer", { issuer: "", jwksUri, keys }, ["ERR_ISSUER_URL", "empty issuer URL"]],
    [
      "missing external address and jwks",
      { issuer: ISSUER, keys },
      ["ERR_JWKS_URI", "either the JWKS URI or the default external address, or both, must be set"],
    ],
    [
      "issuer missing https",
      { issuer: "http://issuer.example.com", jwksUri, keys },
      ["ERR_ISSUER_URL", "issuer URL must use https scheme, got: http://issuer.example.com"],
    ],
    [
      "issuer missing scheme",
      { issuer: "issuer.example.com", jwksUri, keys },
      ["ERR_ISSUER_URL", "issuer URL must use https scheme, got: issuer.example.com"],
    ],
    [
      "issuer includes query",
      { issuer: "https://issuer.example.com?foo=bar", jwksUri, keys },
      ["ERR_ISSUER_URL", "issuer URL may not include a query, got: https://issuer.example.com?foo=bar"],
    ],
    [
      "issuer includes fragment",
      { issuer: "https://issuer.example.com#baz", jwksUri, keys },
      ["ERR_ISSUER_URL", "issuer URL may not include a fragment, got: https://issuer.example.com#baz"],
    ],
    [
      "issuer includes query and fragment",
      { issuer: "https://issuer.example.com?foo=bar#baz", jwksUri, keys },
      ["ERR_ISSUER_URL", "issuer URL may not include a query, got: https://issuer.example.com?foo=bar#baz"],
    ],
    [
      "issuer is not a valid URL",
      { issuer: "issuer", jwksUri, keys },
      ["ERR_ISSUER_URL", "issuer URL must use https scheme, got: issuer"],
    ],
    [
      "issuer does not parse",
      { issuer: "https://issuer example.com", jwksUri, keys },
      ["ERR_ISSUER_URL", 'parse "https://issuer example.com": invalid character " " in host name'],
    ],
    [
      "jwks missing https",
      { issuer: ISSUER, jwksUri: `http://issuer.example.com${JWKS_PATH}`, keys },
      ["ERR_JWKS_URI", "jwksURI requires https scheme, parsed as: http://issuer.example.com/openid/v1/jwks"],
    ],
    [
      "jwks missing scheme",
      { issuer: ISSUER, jwksUri: `issuer.example.com${JWKS_PATH}`, keys },
      ["ERR_JWKS_URI", "jwksURI requires https scheme, parsed as: issuer.example.com/openid/v1/jwks"],
    ],
    [
      "jwks is not a valid URL",
      { issuer: ISSUER, jwksUri: `issuer${JWKS_PATH}`, keys },
      ["ERR_JWKS_URI", "jwksURI requires https scheme, parsed as: issuer/openid/v1/jwks"],
    ],
    [
      "jwks does not parse",
      { issuer: ISSUER, jwksUri: "https://h:port/jwks", keys },
      ["ERR_JWKS_URI", 'parse "https://h:port/jwks": invalid port ":port" after host'],
    ],
    [
      "external address also has a scheme",
      { issuer: ISSUER, externalAddress: "https://192.0.2.1:80", keys },
      [
        "ERR_JWKS_URI",
        "attempted to build jwks_uri from external address https://192.0.2.1:80, but could not construct a valid URL. " +
          'Error: parse "https://https:%2F%2F192.0.2.1:80/openid/v1/jwks": invalid URL escape "%2F"',
      ],
    ],
    [
      "external address with user info",
      { issuer: ISSUER, externalAddress: "me@192.0.2.1", keys },
      [
        "ERR_JWKS_URI",
        "attempted to build jwks_uri from external address me@192.0.2.1, but could not construct a valid URL. " +
          'Error: parse "https://me%40192.0.2.1/openid/v1/jwks": invalid URL escape "%40"',
      ],
    ],
    [
      "no keys",
      { issuer: ISSUER, jwksUri, keys: [] },
      ["ERR_NO_KEYS", "no keys provided for validating keyset"],
    ],
    [
      "issuer checks come before key checks",
      { issuer: "http://x", jwksUri, keys: [] },
      ["ERR_ISSUER_URL", "issuer URL must use https scheme, got: http://x"],
    ],
  ])("%s", (_name, options, want) => {
    expect(errorOf(options)).toEqual(want);
  });
});
