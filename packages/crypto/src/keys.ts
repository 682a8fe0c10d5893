import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  X509Certificate,
} from "node:crypto";
import { CryptoError } from "./errors.js";
import { keyIdFromPublicKey } from "./key-id.js";

/**
 * The JWS algorithms Kubernetes signs service account tokens with (reference §1.1 "Signing"):
 * RSA keys of any size sign RS256 only; ECDSA P-256 / P-384 / P-521 sign ES256 / ES384 / ES512.
 */
export type SigningAlgorithm = "RS256" | "ES256" | "ES384" | "ES512";

/** Every {@link SigningAlgorithm}, in a fixed order. */
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ["RS256", "ES256", "ES384", "ES512"];

/** A public key usable to verify tokens and to publish in the JWKS. */
export interface VerificationKey {
  /** Key id: base64url(SHA-256(SPKI DER)), reference §6.3. */
  readonly kid: string;
  /** The only algorithm this key signs / verifies. */
  readonly alg: SigningAlgorithm;
  /** The public key. */
  readonly publicKey: KeyObject;
  /** DER SubjectPublicKeyInfo of `publicKey` (what `kid` hashes). */
  readonly spkiDer: Buffer;
}

/** A key pair that can sign tokens. */
export interface SigningKey extends VerificationKey {
  /** The private key. */
  readonly privateKey: KeyObject;
}

/** True if the key carries a private half. */
export function isSigningKey(key: VerificationKey): key is SigningKey {
  return (key as Partial<SigningKey>).privateKey !== undefined;
}

// Go's %T of the key types x509 can parse but jwt.go rejects (reference §1.1).
const GO_PRIVATE_KEY_TYPE: Readonly<Record<string, string>> = {
  ed25519: "ed25519.PrivateKey",
  x25519: "*ecdh.PrivateKey",
  dsa: "*dsa.PrivateKey",
};

const CURVE_ALGORITHM: Readonly<Record<string, SigningAlgorithm>> = {
  prime256v1: "ES256",
  secp384r1: "ES384",
  secp521r1: "ES512",
};

/**
 * The algorithm a key signs with. Throws CryptoError `ERR_KEY_UNSUPPORTED` with Kubernetes' texts
 * (jwt.go signer construction, openidmetadata.go `algorithmFromPublicKey`) for other key types
 * and curves.
 */
export function algorithmForKey(key: KeyObject): SigningAlgorithm {
  if (key.type === "secret") throw new TypeError("expected an asymmetric key, got a secret key");
  const type = key.asymmetricKeyType;
  if (type === "rsa") return "RS256";
  if (type === "ec") {
    const alg = CURVE_ALGORITHM[key.asymmetricKeyDetails?.namedCurve ?? ""];
    if (alg !== undefined) return alg;
    throw new CryptoError("ERR_KEY_UNSUPPORTED", "unknown private key curve, must be 256, 384, or 521");
  }
  if (key.type === "private") {
    const goType = GO_PRIVATE_KEY_TYPE[type ?? ""] ?? String(type);
    throw new CryptoError(
      "ERR_KEY_UNSUPPORTED",
      `unknown private key type ${goType}, must be *rsa.PrivateKey, *ecdsa.PrivateKey, or jose.OpaqueSigner`,
    );
  }
  throw new CryptoError(
    "ERR_KEY_UNSUPPORTED",
    "unknown public key type, must be *rsa.PublicKey, *ecdsa.PublicKey, or jose.OpaqueSigner",
  );
}

/** A {@link VerificationKey} from a public or private KeyObject (a private key's public half is used). */
export function verificationKeyFrom(key: KeyObject): VerificationKey {
  const alg = algorithmForKey(key);
  const publicKey = key.type === "private" ? createPublicKey(key) : key;
  const der = publicKey.export({ type: "spki", format: "der" });
  return { kid: keyIdFromPublicKey(der), alg, publicKey, spkiDer: der };
}

/** A {@link SigningKey} from a private KeyObject. */
export function signingKeyFrom(privateKey: KeyObject): SigningKey {
  if (privateKey.type !== "private")
    throw new TypeError(`expected a private key, got a ${privateKey.type} key`);
  return { ...verificationKeyFrom(privateKey), privateKey };
}

/** A key parsed out of PEM text: public only, or a pair. */
export type ParsedKey = VerificationKey | SigningKey;

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

function pemBody(body: string): Buffer {
  // RFC 1421 headers (e.g. "Proc-Type: 4,ENCRYPTED") come first and end at a blank line.
  const lines = body.split(/\r?\n/);
  let start = 0;
  if (lines[0]?.includes(":")) {
    while (start < lines.length && lines[start] !== "") start++;
  }
  return Buffer.from(lines.slice(start).join(""), "base64");
}

function decodeBlock(label: string, der: Buffer): KeyObject | undefined {
  try {
    switch (label) {
      case "PUBLIC KEY":
        return createPublicKey({ key: der, format: "der", type: "spki" });
      case "RSA PUBLIC KEY":
        return createPublicKey({ key: der, format: "der", type: "pkcs1" });
      case "CERTIFICATE":
        return new X509Certificate(der).publicKey;
      case "RSA PRIVATE KEY":
        return createPrivateKey({ key: der, format: "der", type: "pkcs1" });
      case "PRIVATE KEY":
        return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
      case "EC PRIVATE KEY":
        return createPrivateKey({ key: der, format: "der", type: "sec1" });
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/**
 * Every key in PEM text, in file order. Blocks: `PUBLIC KEY`, `RSA PUBLIC KEY`, `CERTIFICATE`
 * (its public key), `RSA PRIVATE KEY`, `PRIVATE KEY`, `EC PRIVATE KEY`. Like client-go's
 * `keyutil.ParsePublicKeysPEM`, other blocks (e.g. `EC PARAMETERS`) and blocks that do not decode
 * are skipped. A key of an unsupported type or curve throws `ERR_KEY_UNSUPPORTED`; no key at all
 * throws `ERR_KEY_PARSE` `data does not contain any valid RSA or ECDSA public keys`.
 */
export function parseKeysPem(pem: string | Uint8Array): ParsedKey[] {
  const text = typeof pem === "string" ? pem : Buffer.from(pem).toString("utf8");
  const keys: ParsedKey[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    const key = decodeBlock(match[1]!, pemBody(match[2]!));
    if (key === undefined) continue;
    keys.push(key.type === "private" ? signingKeyFrom(key) : verificationKeyFrom(key));
  }
  if (keys.length === 0) {
    throw new CryptoError("ERR_KEY_PARSE", "data does not contain any valid RSA or ECDSA public keys");
  }
  return keys;
}

/**
 * The public keys in PEM text (private keys contribute their public half): what
 * `--service-account-key-file` loads (reference §1.3). Errors as {@link parseKeysPem}.
 */
export function parsePublicKeysPem(pem: string | Uint8Array): VerificationKey[] {
  return parseKeysPem(pem).map(({ kid, alg, publicKey, spkiDer }) => ({ kid, alg, publicKey, spkiDer }));
}

/**
 * The first private key in PEM text: what `--service-account-signing-key-file` loads. Throws
 * `ERR_KEY_PARSE` `data does not contain a valid RSA or ECDSA private key` when there is none.
 */
export function parseSigningKeyPem(pem: string | Uint8Array): SigningKey {
  let keys: ParsedKey[];
  try {
    keys = parseKeysPem(pem);
  } catch (error) {
    if (error instanceof CryptoError && error.code === "ERR_KEY_PARSE") keys = [];
    else throw error;
  }
  const key = keys.find(isSigningKey);
  if (key === undefined) {
    throw new CryptoError("ERR_KEY_PARSE", "data does not contain a valid RSA or ECDSA private key");
  }
  return key;
}

const EC_CURVE: Readonly<Record<Exclude<SigningAlgorithm, "RS256">, string>> = {
  ES256: "P-256",
  ES384: "P-384",
  ES512: "P-521",
};

/**
 * A fresh signing key: RSA-2048 for RS256, ECDSA P-256 / P-384 / P-521 for ES256 / ES384 / ES512.
 * RSA generation takes tens of milliseconds.
 */
export function generateSigningKey(alg: SigningAlgorithm): SigningKey {
  const { privateKey } =
    alg === "RS256"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : generateKeyPairSync("ec", { namedCurve: EC_CURVE[alg] });
  return signingKeyFrom(privateKey);
}

/** A fresh signing key (see {@link generateSigningKey}) as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). */
export function generateSigningKeyPem(alg: SigningAlgorithm): string {
  return privateKeyPem(generateSigningKey(alg));
}

/** The PKCS#8 PEM of a signing key. */
export function privateKeyPem(key: SigningKey): string {
  return key.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}

/** The SPKI PEM (`-----BEGIN PUBLIC KEY-----`) of a key (a KeyObject may be public or private). */
export function publicKeyPem(key: VerificationKey | KeyObject): string {
  const publicKey = "kid" in key ? key.publicKey : key.type === "private" ? createPublicKey(key) : key;
  return publicKey.export({ type: "spki", format: "pem" }).toString();
}
