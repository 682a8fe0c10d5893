/**
 * Test helpers: hand-made JWS (arbitrary headers, HMAC, alg none) and an in-memory
 * TokenObjectGetter. Tokens are built at run time from run-time keys.
 */
import { createHmac, sign } from "node:crypto";
import type { SigningKey } from "../keys.js";
import type { ObjectRef, SecretRef, ServiceAccountRef, TokenObjectGetter } from "../validation.js";

const b64 = (value: string | Buffer): string => Buffer.from(value).toString("base64url");

/** A compact JWS with the given header and payload, signed with the key's own algorithm. */
export function signWithHeader(key: SigningKey, header: object, payload: object | string): string {
  const input = `${b64(JSON.stringify(header))}.${b64(typeof payload === "string" ? payload : JSON.stringify(payload))}`;
  const hash =
    key.alg === "RS256" || key.alg === "ES256" ? "sha256" : key.alg === "ES384" ? "sha384" : "sha512";
  const signature =
    key.alg === "RS256"
      ? sign(hash, Buffer.from(input), key.privateKey)
      : sign(hash, Buffer.from(input), { key: key.privateKey, dsaEncoding: "ieee-p1363" });
  return `${input}.${signature.toString("base64url")}`;
}

/** An HS256 JWS whose HMAC secret is the given bytes (the classic public-key-as-secret attack). */
export function signHs256(secret: Buffer, header: object, payload: object): string {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

/** An unsigned `alg: none` JWS. */
export function unsecured(header: object, payload: object): string {
  return `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}.`;
}

/** Objects the fake getter serves; a missing one rejects with Kubernetes' NotFound text. */
export interface FakeObjects {
  serviceAccounts?: Record<string, ServiceAccountRef>;
  secrets?: Record<string, SecretRef>;
  pods?: Record<string, ObjectRef>;
  nodes?: Record<string, ObjectRef>;
}

/** A getter over `objects`, keyed `<namespace>/<name>` (nodes by name); records every call. */
export function fakeGetter(objects: FakeObjects): TokenObjectGetter & { calls: string[] } {
  const calls: string[] = [];
  const find = <T>(map: Record<string, T> | undefined, resource: string, key: string, name: string): T => {
    calls.push(`${resource} ${key}`);
    const found = map?.[key];
    if (found === undefined) throw new Error(`${resource} "${name}" not found`);
    return found;
  };
  return {
    calls,
    getServiceAccount: async (ns, name) =>
      find(objects.serviceAccounts, "serviceaccounts", `${ns}/${name}`, name),
    getSecret: async (ns, name) => find(objects.secrets, "secrets", `${ns}/${name}`, name),
    getPod: async (ns, name) => find(objects.pods, "pods", `${ns}/${name}`, name),
    getNode: async (name) => find(objects.nodes, "nodes", name, name),
  };
}
