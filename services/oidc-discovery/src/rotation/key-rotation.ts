/**
 * Service-account key rotation as three file changes, each safe on its own (reference §1.3: every
 * key of every `--service-account-key-file` verifies, the `--service-account-signing-key-file`
 * signs; §6.2: the JWKS lists the verification keys):
 *
 * 1. **add** — a new key pair is made; its public half is appended to the verification file and
 *    its private half parked as the *pending* key. Nothing signs with it yet; relying parties see
 *    it in the JWKS and have time (the documents' `max-age=3600`) to cache it.
 * 2. **promote** — the pending key becomes the signing key. New tokens carry its kid; tokens of
 *    the old key still verify because its public half stays in the verification file.
 * 3. **retire** — every verification key but the signing key (and a pending one) is removed.
 *    Tokens signed by the old key stop verifying: run it once they have expired.
 *
 * This module only plans: it takes the files' contents and returns the new contents. Pure, so
 * the rules are tested without a file system; `rotate-key-files.ts` reads and writes.
 */
import {
  generateSigningKeyPem,
  parseKeysPem,
  parseSigningKeyPem,
  publicKeyPem,
  type SigningAlgorithm,
  type SigningKey,
  type VerificationKey,
} from "@tokenplane/crypto";
import { OidcDiscoveryError } from "../errors.js";

/** The rotation's files as text; `pending` absent when no key is pending. */
export interface KeyFiles {
  /** `--service-account-signing-key-file` (private key PEM). */
  readonly signingKey: string;
  /** `--service-account-key-file` (the verification keys, PEM, in JWKS order). */
  readonly verificationKeys: string;
  /** The pending key (private key PEM) made by `add`, not yet signing. */
  readonly pendingKey?: string;
}

/** What a rotation step changes: new contents, or `null` to delete the pending key file. */
export interface KeyFileChanges {
  readonly signingKey?: string;
  readonly verificationKeys?: string;
  readonly pendingKey?: string | null;
}

/** One key as the status reports it. */
export interface KeySummary {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
}

/** The keys of the files. */
export interface KeyStatus {
  /** The key that signs new tokens. */
  readonly signing: KeySummary;
  /** The keys that verify tokens (and are published in the JWKS), in order. */
  readonly verification: readonly KeySummary[];
  /** The key made by `add` and not yet promoted. */
  readonly pending?: KeySummary;
  /** The signing key's public half is in the verification set (otherwise its tokens fail). */
  readonly signingVerifies: boolean;
}

/** A planned step: the changes and the status they lead to. */
export interface RotationPlan {
  readonly changes: KeyFileChanges;
  readonly before: KeyStatus;
  readonly after: KeyStatus;
}

const summary = (key: VerificationKey): KeySummary => ({ kid: key.kid, alg: key.alg });

interface Parsed {
  readonly signing: SigningKey;
  readonly verification: readonly VerificationKey[];
  readonly pending: SigningKey | undefined;
}

function parse(files: KeyFiles): Parsed {
  return {
    signing: parseSigningKeyPem(files.signingKey),
    verification: parseKeysPem(files.verificationKeys),
    pending: files.pendingKey === undefined ? undefined : parseSigningKeyPem(files.pendingKey),
  };
}

function statusOf(p: Parsed): KeyStatus {
  return {
    signing: summary(p.signing),
    verification: p.verification.map(summary),
    ...(p.pending === undefined ? {} : { pending: summary(p.pending) }),
    signingVerifies: p.verification.some((k) => k.kid === p.signing.kid),
  };
}

/** The keys of the files. Throws the `CryptoError` of a file that holds no usable key. */
export function keyStatus(files: KeyFiles): KeyStatus {
  return statusOf(parse(files));
}

function refuse(message: string): never {
  throw new OidcDiscoveryError("ERR_KEY_FILE", message);
}

/**
 * Step 1: a new key (algorithm `alg`, default the signing key's) is made, its public half
 * appended to the verification keys, its private half parked as pending. Refused while a key is
 * pending. `generate` is injectable for tests (default `generateSigningKeyPem`).
 */
export function planAdd(
  files: KeyFiles,
  alg?: SigningAlgorithm,
  generate: (alg: SigningAlgorithm) => string = generateSigningKeyPem,
): RotationPlan {
  const before = parse(files);
  if (before.pending !== undefined) {
    refuse(`key ${before.pending.kid} is already pending: promote it (or delete the pending key file) first`);
  }
  const pendingPem = generate(alg ?? before.signing.alg);
  const pending = parseSigningKeyPem(pendingPem);
  const verificationKeys = appendPem(files.verificationKeys, publicKeyPem(pending));
  return {
    changes: { verificationKeys, pendingKey: pendingPem },
    before: statusOf(before),
    after: statusOf({ ...before, verification: [...before.verification, pending], pending }),
  };
}

/**
 * Step 2: the pending key becomes the signing key. Refused without a pending key, or when the
 * pending key is not in the verification keys (its tokens would not verify).
 */
export function planPromote(files: KeyFiles): RotationPlan {
  const before = parse(files);
  const { pending } = before;
  if (pending === undefined || files.pendingKey === undefined) refuse("no key is pending: run add first");
  if (!before.verification.some((k) => k.kid === pending.kid)) {
    refuse(`pending key ${pending.kid} is not in the verification keys: its tokens would not verify`);
  }
  return {
    changes: { signingKey: files.pendingKey, pendingKey: null },
    before: statusOf(before),
    after: statusOf({ signing: pending, verification: before.verification, pending: undefined }),
  };
}

/**
 * Step 3: the verification keys shrink to the signing key (and a pending key, if any). Refused
 * when there is nothing to remove, and when the signing key is not among the verification keys.
 */
export function planRetire(files: KeyFiles): RotationPlan {
  const before = parse(files);
  const keep = new Set([before.signing.kid, ...(before.pending === undefined ? [] : [before.pending.kid])]);
  if (!before.verification.some((k) => k.kid === before.signing.kid)) {
    refuse(
      `signing key ${before.signing.kid} is not in the verification keys: add it before retiring others`,
    );
  }
  const kept = before.verification.filter((k) => keep.has(k.kid));
  // A key listed twice counts once: keep its first occurrence only.
  const seen = new Set<string>();
  const unique = kept.filter((k) => {
    if (seen.has(k.kid)) return false;
    seen.add(k.kid);
    return true;
  });
  if (unique.length === before.verification.length)
    refuse("no key to retire: the verification keys are the signing key only");
  return {
    changes: { verificationKeys: unique.map((k) => publicKeyPem(k)).join("") },
    before: statusOf(before),
    after: statusOf({ ...before, verification: unique }),
  };
}

function appendPem(text: string, block: string): string {
  if (text === "" || text.endsWith("\n")) return text + block;
  return `${text}\n${block}`;
}
