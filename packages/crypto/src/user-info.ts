import { isDns1123Label, isDns1123Subdomain } from "./dns-names.js";
import { CryptoError } from "./errors.js";

/** Username prefix of every service account: `system:serviceaccount:`. */
export const SERVICE_ACCOUNT_USERNAME_PREFIX = "system:serviceaccount:";
/** Prefix of the per-namespace service account group: `system:serviceaccounts:`. */
export const SERVICE_ACCOUNT_GROUP_PREFIX = "system:serviceaccounts:";
/** The group of all service accounts: `system:serviceaccounts`. */
export const ALL_SERVICE_ACCOUNTS_GROUP = "system:serviceaccounts";
/** User extra key carrying the bound pod's name. */
export const POD_NAME_EXTRA_KEY = "authentication.kubernetes.io/pod-name";
/** User extra key carrying the bound pod's UID. */
export const POD_UID_EXTRA_KEY = "authentication.kubernetes.io/pod-uid";
/** User extra key carrying the node name (node-bound tokens, or pod-bound ones with node info). */
export const NODE_NAME_EXTRA_KEY = "authentication.kubernetes.io/node-name";
/** User extra key carrying the node UID. */
export const NODE_UID_EXTRA_KEY = "authentication.kubernetes.io/node-uid";
/** User extra key carrying the credential id, `JTI=<jti>` (user.CredentialIDKey). */
export const CREDENTIAL_ID_EXTRA_KEY = "authentication.kubernetes.io/credential-id";

/**
 * What a validated service account token says about its holder (Go `ServiceAccountInfo`,
 * staging/.../authentication/serviceaccount/util.go). Absent and empty strings mean the same.
 */
export interface ServiceAccountInfo {
  /** ServiceAccount namespace. */
  readonly namespace: string;
  /** ServiceAccount name. */
  readonly name: string;
  /** ServiceAccount UID (from the token's claims). */
  readonly uid: string;
  /** Bound pod name. */
  readonly podName?: string;
  /** Bound pod UID. */
  readonly podUID?: string;
  /** Node name. */
  readonly nodeName?: string;
  /** Node UID. */
  readonly nodeUID?: string;
  /** `JTI=<jti>` when the token has a jti. */
  readonly credentialId?: string;
}

/** An authenticated user, as TokenReview's `status.user` carries it (without `system:authenticated`). */
export interface UserInfo {
  /** `system:serviceaccount:<ns>:<name>`. */
  readonly username: string;
  /** The ServiceAccount UID. */
  readonly uid: string;
  /** `["system:serviceaccounts", "system:serviceaccounts:<ns>"]`. */
  readonly groups: string[];
  /** Extra attributes, each a one-element list; keys in sorted order; `{}` when there are none. */
  readonly extra: Record<string, string[]>;
}

/** `system:serviceaccount:<namespace>:<name>`. */
export function makeUsername(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_USERNAME_PREFIX}${namespace}:${name}`;
}

/** True if `username` is exactly `makeUsername(namespace, name)` (Go `MatchesUsername`). */
export function matchesUsername(namespace: string, name: string, username: string): boolean {
  return (
    username.length === SERVICE_ACCOUNT_USERNAME_PREFIX.length + namespace.length + 1 + name.length &&
    username.startsWith(SERVICE_ACCOUNT_USERNAME_PREFIX) &&
    username.startsWith(namespace, SERVICE_ACCOUNT_USERNAME_PREFIX.length) &&
    username.charAt(SERVICE_ACCOUNT_USERNAME_PREFIX.length + namespace.length) === ":" &&
    username.endsWith(name)
  );
}

/** The text of every `splitUsername` failure. */
export const INVALID_USERNAME_MESSAGE = "Username must be in the form system:serviceaccount:namespace:name";

/**
 * Namespace and name of a service account username, or undefined (Go `SplitUsername` without the
 * error value; reference §1.7).
 */
export function parseUsername(username: string): { namespace: string; name: string } | undefined {
  if (!username.startsWith(SERVICE_ACCOUNT_USERNAME_PREFIX)) return undefined;
  const parts = username.slice(SERVICE_ACCOUNT_USERNAME_PREFIX.length).split(":");
  if (parts.length !== 2) return undefined;
  const [namespace, name] = parts as [string, string];
  if (!isDns1123Label(namespace) || !isDns1123Subdomain(name)) return undefined;
  return { namespace, name };
}

/**
 * Namespace and name of a service account username (Go `SplitUsername`): the prefix, exactly two
 * `:`-separated parts, a DNS-1123 label namespace and a DNS-1123 subdomain name. Throws
 * CryptoError `ERR_USERNAME` `Username must be in the form system:serviceaccount:namespace:name`.
 */
export function splitUsername(username: string): { namespace: string; name: string } {
  const parsed = parseUsername(username);
  if (parsed === undefined) throw new CryptoError("ERR_USERNAME", INVALID_USERNAME_MESSAGE);
  return parsed;
}

/** `system:serviceaccounts:<namespace>`. */
export function makeNamespaceGroupName(namespace: string): string {
  return SERVICE_ACCOUNT_GROUP_PREFIX + namespace;
}

/** `["system:serviceaccounts", "system:serviceaccounts:<namespace>"]`. */
export function makeGroupNames(namespace: string): string[] {
  return [ALL_SERVICE_ACCOUNTS_GROUP, makeNamespaceGroupName(namespace)];
}

/** `JTI=<jti>`, or "" for an empty jti (Go `CredentialIDForJTI`). */
export function credentialIdForJti(jti: string | undefined): string {
  return jti ? `JTI=${jti}` : "";
}

/**
 * The user a service account token authenticates as (Go `ServiceAccountInfo.UserInfo`,
 * reference §1.7): pod-name and pod-uid only when both are set; credential-id when set; node-name
 * when set, node-uid only together with node-name. The server adds `system:authenticated` itself.
 */
export function toUserInfo(info: ServiceAccountInfo): UserInfo {
  // Inserted in sorted key order so JSON output matches Go's sorted map encoding.
  const extra: Record<string, string[]> = {};
  if (info.credentialId) extra[CREDENTIAL_ID_EXTRA_KEY] = [info.credentialId];
  if (info.nodeName) {
    extra[NODE_NAME_EXTRA_KEY] = [info.nodeName];
    if (info.nodeUID) extra[NODE_UID_EXTRA_KEY] = [info.nodeUID];
  }
  if (info.podName && info.podUID) {
    extra[POD_NAME_EXTRA_KEY] = [info.podName];
    extra[POD_UID_EXTRA_KEY] = [info.podUID];
  }
  return {
    username: makeUsername(info.namespace, info.name),
    uid: info.uid,
    groups: makeGroupNames(info.namespace),
    extra,
  };
}
