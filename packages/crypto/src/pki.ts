/**
 * The cluster PKI: a CA, serving certificates and client certificates (CN = user, one O per group,
 * as Kubernetes' x509 authenticator reads them), built with @peculiar/x509 over node's WebCrypto.
 * Keys are ECDSA P-256 (a given CA key may also be RSA or another ECDSA curve), returned as PKCS#8
 * PEM. @peculiar/x509 and its reflect-metadata polyfill are loaded on first use, so importing this
 * package does not pay for them.
 */
import { createPrivateKey, type KeyObject, randomBytes, webcrypto } from "node:crypto";
import { CryptoError } from "./errors.js";

type X509 = typeof import("@peculiar/x509");

let x509Module: Promise<X509> | undefined;

// @peculiar/x509 uses tsyringe, which needs a Reflect metadata polyfill loaded before it.
async function loadX509(): Promise<X509> {
  x509Module ??= import("reflect-metadata").then(() => import("@peculiar/x509"));
  return x509Module;
}

type CryptoKey = webcrypto.CryptoKey;

// node's WebCrypto implements the Crypto interface @peculiar/x509 expects (its d.ts names the DOM
// type, which this package's lib settings do not include).
const crypto: webcrypto.Crypto = webcrypto;

const DAY_MS = 24 * 60 * 60 * 1000;

/** A certificate and its private key, both PEM (key as PKCS#8). */
export interface CertificateAndKey {
  /** `-----BEGIN CERTIFICATE-----` */
  readonly certPem: string;
  /** `-----BEGIN PRIVATE KEY-----` (PKCS#8) */
  readonly keyPem: string;
}

/** Options of {@link createCertificateAuthority}. */
export interface CertificateAuthorityOptions {
  /** Subject and issuer CN, e.g. `tokenplane-ca`. */
  readonly commonName: string;
  /** Start of validity: a Date or milliseconds since the epoch. */
  readonly now: Date | number;
  /** Validity in days. Default 3650 (ten years, like kubeadm's CA). */
  readonly validityDays?: number;
}

/** Options of {@link createServingCertificate}. */
export interface ServingCertificateOptions {
  /** Subject CN (for a component certificate: its user name). */
  readonly commonName: string;
  /** Subject O values, in order (for a component certificate: its groups). Default none. */
  readonly organizations?: readonly string[];
  /** Also allow the certificate as a TLS client certificate (EKU clientAuth). Default false. */
  readonly clientAuth?: boolean;
  /** DNS subject alternative names. */
  readonly dnsNames?: readonly string[];
  /** IP subject alternative names (v4 or v6 literals). */
  readonly ipAddresses?: readonly string[];
  /** Start of validity: a Date or milliseconds since the epoch. */
  readonly now: Date | number;
  /** Validity in days. Default 365. */
  readonly validityDays?: number;
}

/** Options of {@link createClientCertificate}. */
export interface ClientCertificateOptions {
  /** The user name: the subject CN. */
  readonly user: string;
  /** Groups: one subject O each, in order. */
  readonly groups?: readonly string[];
  /** Start of validity: a Date or milliseconds since the epoch. */
  readonly now: Date | number;
  /** Validity in days. Default 365. */
  readonly validityDays?: number;
}

interface KeyPair {
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
}

const P256 = { name: "ECDSA", namedCurve: "P-256" } as const;

async function newKeyPair(): Promise<KeyPair> {
  return (await crypto.subtle.generateKey(P256, true, ["sign", "verify"])) as KeyPair;
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await crypto.subtle.exportKey("pkcs8", key));
  return createPrivateKey({ key: der, format: "der", type: "pkcs8" })
    .export({ type: "pkcs8", format: "pem" })
    .toString();
}

// A positive 128-bit serial (RFC 5280 §4.1.2.2: at most 20 octets, non-negative).
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString("hex");
}

function validity(now: Date | number, days: number): { notBefore: Date; notAfter: Date } {
  const start = typeof now === "number" ? now : now.getTime();
  if (!Number.isFinite(start)) throw new TypeError("now must be a valid Date or millisecond timestamp");
  if (!Number.isInteger(days) || days <= 0)
    throw new TypeError(`validityDays must be a positive integer, got ${days}`);
  return { notBefore: new Date(start), notAfter: new Date(start + days * DAY_MS) };
}

// The WebCrypto import and signature parameters for a CA key of any supported type.
function signingParams(key: KeyObject): {
  importAlgorithm: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;
  signingAlgorithm: webcrypto.Algorithm | webcrypto.EcdsaParams;
} {
  if (key.asymmetricKeyType === "rsa") {
    const alg = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    return { importAlgorithm: alg, signingAlgorithm: alg };
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const ec: Record<string, [string, string]> = {
    prime256v1: ["P-256", "SHA-256"],
    secp384r1: ["P-384", "SHA-384"],
    secp521r1: ["P-521", "SHA-512"],
  };
  const match = key.asymmetricKeyType === "ec" && curve !== undefined ? ec[curve] : undefined;
  if (match === undefined) {
    throw new CryptoError("ERR_KEY_UNSUPPORTED", "the CA key must be RSA or ECDSA P-256, P-384 or P-521");
  }
  return {
    importAlgorithm: { name: "ECDSA", namedCurve: match[0] },
    signingAlgorithm: { name: "ECDSA", hash: match[1] },
  };
}

/**
 * A self-signed CA: CN = `commonName`, basicConstraints CA:TRUE (critical), keyUsage
 * keyCertSign | cRLSign | digitalSignature (critical), a subject key identifier, ECDSA P-256.
 */
export async function createCertificateAuthority(
  options: CertificateAuthorityOptions,
): Promise<CertificateAndKey> {
  const x509 = await loadX509();
  const keys = await newKeyPair();
  const name = [{ CN: [options.commonName] }];
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serialNumber(),
      subject: name,
      issuer: name,
      ...validity(options.now, options.validityDays ?? 3650),
      publicKey: keys.publicKey,
      signingKey: keys.privateKey,
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" } as webcrypto.EcdsaParams,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return { certPem: cert.toString("pem"), keyPem: await pkcs8Pem(keys.privateKey) };
}

interface LeafSpec {
  readonly subject: Record<string, string[]>[];
  readonly extensions: (x509: X509) => import("@peculiar/x509").Extension[];
  readonly now: Date | number;
  readonly validityDays: number;
}

async function issue(ca: CertificateAndKey, spec: LeafSpec): Promise<CertificateAndKey> {
  const x509 = await loadX509();
  let caCert: import("@peculiar/x509").X509Certificate;
  let caKey: KeyObject;
  try {
    caCert = new x509.X509Certificate(ca.certPem);
    caKey = createPrivateKey(ca.keyPem);
  } catch (error) {
    throw new CryptoError("ERR_CERTIFICATE", "could not read the CA certificate or key", { cause: error });
  }
  const { importAlgorithm, signingAlgorithm } = signingParams(caKey);
  const signingKey = await crypto.subtle.importKey(
    "pkcs8",
    caKey.export({ type: "pkcs8", format: "der" }),
    importAlgorithm,
    false,
    ["sign"],
  );
  const caKeyId = caCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const keys = await newKeyPair();
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serialNumber(),
      subject: spec.subject,
      // The CA's own encoded subject, so the issuer name matches byte for byte.
      issuer: caCert.subjectName,
      ...validity(spec.now, spec.validityDays),
      publicKey: keys.publicKey,
      signingKey,
      signingAlgorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        ...spec.extensions(x509),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
        caKeyId !== undefined
          ? new x509.AuthorityKeyIdentifierExtension(caKeyId)
          : await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return { certPem: cert.toString("pem"), keyPem: await pkcs8Pem(keys.privateKey) };
}

/**
 * A TLS server certificate signed by `ca`: O = each of `organizations`, CN = `commonName`, DNS and
 * IP SANs, EKU serverAuth (+ clientAuth when `clientAuth`, for components that both serve and call
 * with the same identity), a fresh ECDSA P-256 key.
 */
export async function createServingCertificate(
  ca: CertificateAndKey,
  options: ServingCertificateOptions,
): Promise<CertificateAndKey> {
  const names = [
    ...(options.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  return issue(ca, {
    subject: [...(options.organizations ?? []).map((o) => ({ O: [o] })), { CN: [options.commonName] }],
    now: options.now,
    validityDays: options.validityDays ?? 365,
    extensions: (x509) => [
      new x509.ExtendedKeyUsageExtension(
        options.clientAuth === true
          ? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]
          : [x509.ExtendedKeyUsage.serverAuth],
      ),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
    ],
  });
}

/**
 * A TLS client certificate signed by `ca` that Kubernetes' x509 authenticator reads as user
 * `user` in `groups`: subject O = each group (in order, as Go's pkix.Name writes Organization
 * before CommonName), CN = user; EKU clientAuth; a fresh ECDSA P-256 key.
 */
export async function createClientCertificate(
  ca: CertificateAndKey,
  options: ClientCertificateOptions,
): Promise<CertificateAndKey> {
  if (options.user === "") throw new TypeError("a client certificate needs a non-empty user (CN)");
  return issue(ca, {
    subject: [...(options.groups ?? []).map((group) => ({ O: [group] })), { CN: [options.user] }],
    now: options.now,
    validityDays: options.validityDays ?? 365,
    extensions: (x509) => [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
  });
}

/** The subject of a peer certificate as node's `TLSSocket.getPeerCertificate().subject` gives it. */
export interface CertificateSubject {
  readonly CN?: string | readonly string[];
  readonly O?: string | readonly string[];
}

/**
 * The user a verified client certificate authenticates as (Kubernetes x509
 * `CommonNameUserConversion`): user = CN, groups = every O in order. Node gives a repeated
 * attribute as an array; with several CNs the last one counts (Go's pkix.Name keeps the last).
 * Returns undefined when there is no CN (Kubernetes then does not authenticate the request by
 * certificate).
 */
export function subjectToUser(
  subject: CertificateSubject | undefined,
): { user: string; groups: string[] } | undefined {
  if (subject === undefined) return undefined;
  const cn = subject.CN;
  const user = typeof cn === "string" ? cn : cn?.[cn.length - 1];
  if (user === undefined || user === "") return undefined;
  const o = subject.O;
  const groups = o === undefined ? [] : typeof o === "string" ? [o] : [...o];
  return { user, groups };
}
