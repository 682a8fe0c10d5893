import { createPublicKey, createSecretKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CryptoError } from "./errors.js";
import { keyIdFromPublicKey } from "./key-id.js";
import {
  algorithmForKey,
  generateSigningKey,
  generateSigningKeyPem,
  isSigningKey,
  parseKeysPem,
  parsePublicKeysPem,
  parseSigningKeyPem,
  publicKeyPem,
  type SigningAlgorithm,
  signingKeyFrom,
  verificationKeyFrom,
} from "./keys.js";
import { EC_KID, ecTestPublicKey, RSA_KID, rsaTestPublicKey } from "./testdata/vectors.js";

function pem(key: KeyObject, type: "spki" | "pkcs1" | "pkcs8" | "sec1"): string {
  return key.export({ type, format: "pem" } as never).toString();
}

function expectCryptoError(fn: () => unknown, code: string, message: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(CryptoError);
  expect((thrown as CryptoError).code).toBe(code);
  expect((thrown as CryptoError).message).toBe(message);
}

// `openssl ecparam -genkey` writes this block before the key; client-go skips it.
const EC_PARAMETERS_P256 = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";

describe("parseKeysPem", () => {
  it("reads the test vectors from PUBLIC KEY and RSA PUBLIC KEY blocks with their kids", () => {
    const text =
      pem(rsaTestPublicKey(), "spki") + pem(ecTestPublicKey(), "spki") + pem(rsaTestPublicKey(), "pkcs1");
    const keys = parseKeysPem(text);
    expect(keys.map((k) => [k.kid, k.alg, isSigningKey(k)])).toEqual([
      [RSA_KID, "RS256", false],
      [EC_KID, "ES256", false],
      [RSA_KID, "RS256", false],
    ]);
  });

  it("reads RSA PRIVATE KEY, EC PRIVATE KEY (after EC PARAMETERS) and PRIVATE KEY blocks as pairs", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 });
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const ec521 = generateKeyPairSync("ec", { namedCurve: "P-521" });
    const text =
      pem(rsa.privateKey, "pkcs1") +
      EC_PARAMETERS_P256 +
      pem(ec.privateKey, "sec1") +
      pem(ec521.privateKey, "pkcs8");
    const keys = parseKeysPem(text);
    expect(keys.map((k) => [k.kid, k.alg, isSigningKey(k)])).toEqual([
      [keyIdFromPublicKey(rsa.publicKey), "RS256", true],
      [keyIdFromPublicKey(ec.publicKey), "ES256", true],
      [keyIdFromPublicKey(ec521.publicKey), "ES512", true],
    ]);
    expect(keys[0]!.publicKey.type).toBe("public");
  });

  it("accepts Buffer input and CRLF line endings", () => {
    const text = pem(ecTestPublicKey(), "spki").replace(/\n/g, "\r\n");
    expect(parseKeysPem(Buffer.from(text)).map((k) => k.kid)).toEqual([EC_KID]);
  });

  it("skips blocks that are not keys or do not decode, like client-go", () => {
    const broken = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
    const csr = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n";
    const keys = parseKeysPem(`${broken}${csr}${pem(ecTestPublicKey(), "spki")}`);
    expect(keys.map((k) => k.kid)).toEqual([EC_KID]);
  });

  it.each([
    ["empty input", ""],
    ["text without PEM", "not a key"],
    ["only a non-key block", EC_PARAMETERS_P256],
  ])("rejects %s", (_name, text) => {
    expectCryptoError(
      () => parseKeysPem(text),
      "ERR_KEY_PARSE",
      "data does not contain any valid RSA or ECDSA public keys",
    );
  });

  it.each([
    ["P-224 private", () => pem(generateKeyPairSync("ec", { namedCurve: "P-224" }).privateKey, "pkcs8")],
    ["secp256k1 public", () => pem(generateKeyPairSync("ec", { namedCurve: "secp256k1" }).publicKey, "spki")],
  ])("rejects an ECDSA %s key with Kubernetes' curve text", (_name, text) => {
    expectCryptoError(
      () => parseKeysPem(text()),
      "ERR_KEY_UNSUPPORTED",
      "unknown private key curve, must be 256, 384, or 521",
    );
  });

  it("rejects an Ed25519 private key with Kubernetes' key type text", () => {
    const { privateKey } = generateKeyPairSync("ed25519");
    expectCryptoError(
      () => parseKeysPem(pem(privateKey, "pkcs8")),
      "ERR_KEY_UNSUPPORTED",
      "unknown private key type ed25519.PrivateKey, must be *rsa.PrivateKey, *ecdsa.PrivateKey, or jose.OpaqueSigner",
    );
  });

  it("rejects an Ed25519 public key with Kubernetes' public key type text", () => {
    const { publicKey } = generateKeyPairSync("ed25519");
    expectCryptoError(
      () => parseKeysPem(pem(publicKey, "spki")),
      "ERR_KEY_UNSUPPORTED",
      "unknown public key type, must be *rsa.PublicKey, *ecdsa.PublicKey, or jose.OpaqueSigner",
    );
  });
});

describe("parsePublicKeysPem", () => {
  it("returns only public halves, same kids as the private keys", () => {
    const ec = generateKeyPairSync("ec", { namedCurve: "P-384" });
    const keys = parsePublicKeysPem(pem(ec.privateKey, "pkcs8") + pem(rsaTestPublicKey(), "spki"));
    expect(keys.map((k) => [k.kid, k.alg, isSigningKey(k)])).toEqual([
      [keyIdFromPublicKey(ec.publicKey), "ES384", false],
      [RSA_KID, "RS256", false],
    ]);
  });
});

describe("parseSigningKeyPem", () => {
  it("returns the first private key, skipping public blocks", () => {
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const key = parseSigningKeyPem(pem(rsaTestPublicKey(), "spki") + pem(ec.privateKey, "sec1"));
    expect([key.kid, key.alg, key.privateKey.type]).toEqual([
      keyIdFromPublicKey(ec.publicKey),
      "ES256",
      "private",
    ]);
  });

  it.each([
    ["public keys only", () => pem(ecTestPublicKey(), "spki")],
    ["no keys", () => "nothing"],
  ])("rejects %s", (_name, text) => {
    expectCryptoError(
      () => parseSigningKeyPem(text()),
      "ERR_KEY_PARSE",
      "data does not contain a valid RSA or ECDSA private key",
    );
  });
});

describe("generateSigningKeyPem", () => {
  it.each<[SigningAlgorithm, string, number | string]>([
    ["RS256", "rsa", 2048],
    ["ES256", "ec", "prime256v1"],
    ["ES384", "ec", "secp384r1"],
    ["ES512", "ec", "secp521r1"],
  ])("%s: PKCS#8 PEM of a %s key (%s)", (alg, type, size) => {
    const text = generateSigningKeyPem(alg);
    expect(text.startsWith("-----BEGIN PRIVATE KEY-----\n")).toBe(true);
    const key = parseSigningKeyPem(text);
    expect(key.alg).toBe(alg);
    expect(key.privateKey.asymmetricKeyType).toBe(type);
    const details = key.privateKey.asymmetricKeyDetails!;
    expect(type === "rsa" ? details.modulusLength : details.namedCurve).toBe(size);
  });
});

describe("key constructors", () => {
  it("verificationKeyFrom derives kid, alg and SPKI from a private key", () => {
    const key = generateSigningKey("ES384");
    const pub = verificationKeyFrom(key.privateKey);
    expect([pub.kid, pub.alg, pub.publicKey.type]).toEqual([key.kid, "ES384", "public"]);
    expect(pub.spkiDer.equals(key.spkiDer)).toBe(true);
    expect(createPublicKey(publicKeyPem(key)).equals(key.publicKey)).toBe(true);
    expect(publicKeyPem(key.privateKey)).toBe(publicKeyPem(key));
    expect(publicKeyPem(key.publicKey)).toBe(publicKeyPem(key));
  });

  it("signingKeyFrom refuses a public key", () => {
    expect(() => signingKeyFrom(ecTestPublicKey())).toThrow(TypeError);
  });

  it("algorithmForKey refuses a secret key", () => {
    expect(() => algorithmForKey(createSecretKey(Buffer.alloc(32)))).toThrow(TypeError);
  });
});
