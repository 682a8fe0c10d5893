/**
 * The ServiceAccounts controller's reconcile (reference §4.1, serviceaccounts_controller.go
 * `syncNamespace`): every active namespace has the ServiceAccounts to ensure, `default` only.
 */
import { create } from "@bufbuild/protobuf";
import { corev1 } from "@tokenplane/proto";
import type { Action } from "../client/actions.js";

/** The ServiceAccounts every namespace gets (`serviceAccountsToEnsure`). */
export const SERVICE_ACCOUNTS_TO_ENSURE: readonly string[] = ["default"];

/** Namespace phase in which the controller acts (v1.NamespaceActive). */
export const NAMESPACE_ACTIVE = "Active";

/**
 * The creates that bring `namespace` to having every ServiceAccount of `toEnsure`:
 * - namespace gone (not in the cache) → nothing;
 * - phase not `Active` (terminating) → nothing: no new content in a namespace going away;
 * - each name missing from the cache → Create `{metadata: {name, namespace}}` and nothing else (no
 *   secrets, no automount, no labels); AlreadyExists and the NamespaceTerminating cause are
 *   success (the cache was behind, or the namespace started terminating meanwhile).
 *
 * @param namespace the cached namespace, undefined when it is not in the cache
 * @param hasServiceAccount whether the cache has that ServiceAccount in the namespace
 */
export function ensureServiceAccounts(
  namespace: corev1.Namespace | undefined,
  hasServiceAccount: (namespace: string, name: string) => boolean,
  toEnsure: readonly string[] = SERVICE_ACCOUNTS_TO_ENSURE,
): Action[] {
  if (namespace === undefined) return [];
  if (namespace.status?.phase !== NAMESPACE_ACTIVE) return [];
  const ns = namespace.metadata?.name ?? "";
  return toEnsure
    .filter((name) => !hasServiceAccount(ns, name))
    .map((name) => ({
      verb: "create",
      resource: "serviceaccounts",
      object: create(corev1.ServiceAccountSchema, { metadata: { name, namespace: ns } }),
      tolerate: ["AlreadyExists", "NamespaceTerminating"],
    }));
}
