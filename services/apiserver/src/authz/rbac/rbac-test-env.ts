/**
 * The authorization tests' environment: the real registry over a memory store, RBAC object
 * builders, and a started RBAC authorizer. Not used by production code.
 */
import { resourceFor } from "@tokenplane/apimachinery";
import { corev1, rbacv1 } from "@tokenplane/proto";
import { createLogger } from "@tokenplane/runtime";
import { vi } from "vitest";
import type { Registry } from "../../registry/registry.js";
import { createRegistry } from "../../registry/store.js";
import { objectFrom } from "../../registry/test-objects.js";
import { systemContext } from "../../request/context.js";
import { createMemoryStore } from "../../storage/memory-store.js";
import { createRbacAuthorizer, type RbacAuthorizer } from "./rbac-authorizer.js";

export const NAMESPACES = resourceFor("", "namespaces")!;
export const ROLES = resourceFor("rbac.authorization.k8s.io", "roles")!;
export const CLUSTERROLES = resourceFor("rbac.authorization.k8s.io", "clusterroles")!;
export const ROLEBINDINGS = resourceFor("rbac.authorization.k8s.io", "rolebindings")!;
export const CLUSTERROLEBINDINGS = resourceFor("rbac.authorization.k8s.io", "clusterrolebindings")!;

/** A silent logger. */
export const silentLog = createLogger({ service: "test", level: "silent" });

type Json = Record<string, unknown>;

/** A ClusterRole from its name and rules (and optional extra JSON fields such as labels). */
export function clusterRole(
  name: string,
  rules: Json[],
  extra: { labels?: Record<string, string>; aggregationRule?: Json } = {},
) {
  const { labels, aggregationRule } = extra;
  return objectFrom(rbacv1.ClusterRoleSchema, {
    metadata: { name, ...(labels ? { labels } : {}) },
    rules,
    ...(aggregationRule ? { aggregationRule } : {}),
  } as never);
}

/** A Role. */
export function role(namespace: string, name: string, rules: Json[]) {
  return objectFrom(rbacv1.RoleSchema, { metadata: { name, namespace }, rules } as never);
}

/** A subject in JSON form: `User:alice`, `Group:devs`, `ServiceAccount:ns/name` or `ServiceAccount:name`. */
export function subject(spec: string): Json {
  const [kind, rest = ""] = spec.split(":", 2) as [string, string?];
  const full = spec.slice(kind.length + 1);
  if (kind === "ServiceAccount") {
    const [a, b] = rest.split("/", 2);
    return b === undefined ? { kind, name: a } : { kind, namespace: a, name: b };
  }
  return { kind, apiGroup: "rbac.authorization.k8s.io", name: full };
}

/** A ClusterRoleBinding to a ClusterRole. */
export function clusterRoleBinding(name: string, roleName: string, subjects: string[]) {
  return objectFrom(rbacv1.ClusterRoleBindingSchema, {
    metadata: { name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleName },
    subjects: subjects.map(subject),
  } as never);
}

/** A RoleBinding to a Role or ClusterRole. */
export function roleBinding(
  namespace: string,
  name: string,
  ref: { kind: "Role" | "ClusterRole"; name: string },
  subjects: string[],
) {
  return objectFrom(rbacv1.RoleBindingSchema, {
    metadata: { name, namespace },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", ...ref },
    subjects: subjects.map(subject),
  } as never);
}

/** A registry on a fresh memory store, with the given namespaces. */
export async function rbacRegistry(...namespaces: string[]): Promise<Registry> {
  const registry = createRegistry({
    storage: createMemoryStore(),
    clock: { now: () => Date.UTC(2024, 0, 1) },
    log: silentLog,
  });
  for (const n of namespaces) {
    await registry.create(
      systemContext(),
      NAMESPACES,
      "",
      objectFrom(corev1.NamespaceSchema, { metadata: { name: n } }),
    );
  }
  return registry;
}

/** A started RBAC authorizer over `registry`; abort the returned controller to stop it. */
export async function startedAuthorizer(
  registry: Registry,
): Promise<{ authz: RbacAuthorizer; stop: AbortController }> {
  const stop = new AbortController();
  const authz = createRbacAuthorizer({ registry, log: silentLog });
  await authz.start(stop.signal);
  return { authz, stop };
}

/**
 * Retries `check` until it passes: the index follows the registry by watch, so a write shows up
 * a moment later. Generous timeout for loaded CI machines.
 */
export function eventually<T>(check: () => T | Promise<T>): Promise<T> {
  return vi.waitFor(check, { timeout: 5000, interval: 5 });
}
