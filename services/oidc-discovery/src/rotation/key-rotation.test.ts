import {
  generateSigningKey,
  generateSigningKeyPem,
  parseKeysPem,
  parseSigningKeyPem,
  privateKeyPem,
  publicKeyPem,
  type SigningAlgorithm,
} from "@tokenplane/crypto";
import { describe, expect, it } from "vitest";
import { OidcDiscoveryError } from "../errors.js";
import { type KeyFiles, keyStatus, planAdd, planPromote, planRetire } from "./key-rotation.js";

const kidsOf = (pem: string) => parseKeysPem(pem).map((k) => k.kid);

function fresh(alg: SigningAlgorithm = "ES256") {
  const old = generateSigningKey(alg);
  const files: KeyFiles = { signingKey: privateKeyPem(old), verificationKeys: publicKeyPem(old) };
  return { old, files };
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof OidcDiscoveryError) return `${err.code}: ${err.message}`;
    throw err;
  }
  return "not refused";
}

/** Applies a plan's changes to the in-memory files. */
function applied(files: KeyFiles, changes: ReturnType<typeof planAdd>["changes"]): KeyFiles {
  const pending = changes.pendingKey === undefined ? files.pendingKey : (changes.pendingKey ?? undefined);
  return {
    signingKey: changes.signingKey ?? files.signingKey,
    verificationKeys: changes.verificationKeys ?? files.verificationKeys,
    ...(pending === undefined ? {} : { pendingKey: pending }),
  };
}

describe("a whole rotation: add, promote, retire", () => {
  it("keeps the old key verifying until retire, and signs with the new one after promote", () => {
    const { old, files } = fresh("RS256");
    const newPem = generateSigningKeyPem("ES256");
    const next = parseSigningKeyPem(newPem);

    const add = planAdd(files, "ES256", () => newPem);
    const afterAdd = applied(files, add.changes);
    expect(add.changes.signingKey).toBeUndefined();
    expect(add.changes.pendingKey).toBe(newPem);
    expect(kidsOf(afterAdd.verificationKeys)).toEqual([old.kid, next.kid]);
    expect(keyStatus(afterAdd)).toEqual({
      signing: { kid: old.kid, alg: "RS256" },
      verification: [
        { kid: old.kid, alg: "RS256" },
        { kid: next.kid, alg: "ES256" },
      ],
      pending: { kid: next.kid, alg: "ES256" },
      signingVerifies: true,
    });
    expect(add.after).toEqual(keyStatus(afterAdd));

    const promote = planPromote(afterAdd);
    const afterPromote = applied(afterAdd, promote.changes);
    expect(promote.changes).toEqual({ signingKey: newPem, pendingKey: null });
    expect(keyStatus(afterPromote)).toEqual({
      signing: { kid: next.kid, alg: "ES256" },
      verification: [
        { kid: old.kid, alg: "RS256" },
        { kid: next.kid, alg: "ES256" },
      ],
      signingVerifies: true,
    });
    expect(promote.after).toEqual(keyStatus(afterPromote));

    const retire = planRetire(afterPromote);
    const afterRetire = applied(afterPromote, retire.changes);
    expect(kidsOf(afterRetire.verificationKeys)).toEqual([next.kid]);
    expect(afterRetire.verificationKeys).toBe(publicKeyPem(next));
    expect(retire.after).toEqual(keyStatus(afterRetire));
  });

  it("add makes a key of the signing key's algorithm by default", () => {
    const { files } = fresh("ES384");
    const add = planAdd(files);
    expect(add.after.pending?.alg).toBe("ES384");
    expect(add.changes.pendingKey).toContain("-----BEGIN PRIVATE KEY-----");
  });

  it("retire keeps a pending key", () => {
    const { files } = fresh();
    const third = generateSigningKey("ES256");
    const added = applied(files, planAdd(files).changes);
    const promoted = applied(added, planPromote(added).changes);
    // An old, the signing, and a newly pending key.
    const withPending = applied(promoted, planAdd(promoted, "ES256", () => privateKeyPem(third)).changes);
    const retire = planRetire(withPending);
    expect(retire.after.verification.map((k) => k.kid)).toEqual([
      parseSigningKeyPem(withPending.signingKey).kid,
      third.kid,
    ]);
  });

  it("appends to a verification file without a final newline", () => {
    const { old } = fresh();
    const files = { signingKey: privateKeyPem(old), verificationKeys: publicKeyPem(old).trimEnd() };
    const add = planAdd(files);
    expect(kidsOf(add.changes.verificationKeys ?? "")).toHaveLength(2);
  });
});

describe("refusals", () => {
  it("add while a key is pending", () => {
    const { files } = fresh();
    const pending = generateSigningKey("ES256");
    expect(refusal(() => planAdd({ ...files, pendingKey: privateKeyPem(pending) }))).toBe(
      `ERR_KEY_FILE: key ${pending.kid} is already pending: promote it (or delete the pending key file) first`,
    );
  });

  it("promote without a pending key", () => {
    expect(refusal(() => planPromote(fresh().files))).toBe("ERR_KEY_FILE: no key is pending: run add first");
  });

  it("promote of a key that does not verify", () => {
    const { files } = fresh();
    const pending = generateSigningKey("ES256");
    expect(refusal(() => planPromote({ ...files, pendingKey: privateKeyPem(pending) }))).toBe(
      `ERR_KEY_FILE: pending key ${pending.kid} is not in the verification keys: its tokens would not verify`,
    );
  });

  it("retire with nothing to retire", () => {
    expect(refusal(() => planRetire(fresh().files))).toBe(
      "ERR_KEY_FILE: no key to retire: the verification keys are the signing key only",
    );
  });

  it("retire when the signing key does not verify", () => {
    const { files } = fresh();
    const other = generateSigningKey("ES256");
    const broken = { ...files, verificationKeys: publicKeyPem(other) };
    expect(keyStatus(broken).signingVerifies).toBe(false);
    expect(refusal(() => planRetire(broken))).toBe(
      `ERR_KEY_FILE: signing key ${parseSigningKeyPem(files.signingKey).kid} is not in the verification keys: add it before retiring others`,
    );
  });

  it("unreadable key files: crypto's texts", () => {
    expect(() => keyStatus({ signingKey: "x", verificationKeys: "y" })).toThrow(
      "data does not contain a valid RSA or ECDSA private key",
    );
  });
});
