/**
 * Creating and reconciling the bootstrap RBAC policy at apiserver start, as kube-apiserver's
 * `rbac/bootstrap-roles` post-start hook does (pkg/registry/rbac/rest/storage_rbac.go with
 * pkg/registry/rbac/reconciliation, `Confirm: true`, no removal of extra permissions): missing
 * objects are created; existing ones whose `rbac.authorization.kubernetes.io/autoupdate`
 * annotation is not "false" get the expected labels, annotations, missing rules (as broken-down
 * rules), missing aggregation selectors and missing subjects added; a ClusterRoleBinding whose
 * roleRef changed is deleted and created anew. Running it again changes nothing.
 *
 * The aggregated bootstrap roles (admin, edit, view) are then given the rules their selectors
 * gather, as Kubernetes' aggregation controller would write them, so reading them shows their
 * rules; authorization does not depend on this (the index aggregates on read).
 */
import { clone, create, equals } from "@bufbuild/protobuf";
import { isAlreadyExists, isConflict, isNotFound, resourceFor } from "@tokenplane/apimachinery";
import { metav1, rbacv1 } from "@tokenplane/proto";
import type { Logger } from "@tokenplane/runtime";
import type { Registry } from "../registry/registry.js";
import type { RequestContext } from "../request/context.js";
import {
  autoUpdateAnnotationKey,
  bootstrapClusterRoleBindings,
  bootstrapClusterRoles,
} from "./bootstrap-roles.js";
import { covers } from "./rbac/policy-comparator.js";
import { PolicyIndex, rbacGroup } from "./rbac/policy-index.js";

export * from "./bootstrap-roles.js";

const CLUSTERROLES = resourceFor(rbacGroup, "clusterroles")!;
const CLUSTERROLEBINDINGS = resourceFor(rbacGroup, "clusterrolebindings")!;

/** What {@link ensureBootstrapPolicy} did, as `clusterroles/<name>` / `clusterrolebindings/<name>`. */
export interface BootstrapResult {
  created: string[];
  updated: string[];
  /** Deleted and created again (a ClusterRoleBinding whose roleRef changed). */
  recreated: string[];
  /** Left alone because their autoupdate annotation is "false". */
  protected: string[];
}

/** Options of {@link ensureBootstrapPolicy}. */
export interface BootstrapOptions {
  log?: Pick<Logger, "info">;
  /** Attempts per object when an update conflicts with another writer; default 5. */
  conflictRetries?: number;
}

const isProtected = (m: { annotations: Record<string, string> } | undefined) =>
  m?.annotations[autoUpdateAnnotationKey] === "false";

/** `merge(expected, existing)`: existing values win. */
function mergeMaps(
  expected: Record<string, string>,
  existing: Record<string, string>,
): Record<string, string> {
  return { ...expected, ...existing };
}

function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** `computeReconciledRole` (union mode): the existing role with what is missing added, or undefined when nothing is. */
export function reconcileClusterRole(
  existing: rbacv1.ClusterRole,
  expected: rbacv1.ClusterRole,
): rbacv1.ClusterRole | undefined {
  const out = clone(rbacv1.ClusterRoleSchema, existing);
  const m = out.metadata!;
  m.annotations = mergeMaps(expected.metadata?.annotations ?? {}, m.annotations);
  m.labels = mergeMaps(expected.metadata?.labels ?? {}, m.labels);
  let changed =
    !sameMap(m.annotations, existing.metadata?.annotations ?? {}) ||
    !sameMap(m.labels, existing.metadata?.labels ?? {});
  const { missing } = covers(existing.rules, expected.rules);
  if (missing.length > 0) {
    out.rules.push(...missing.map((r) => create(rbacv1.PolicyRuleSchema, r)));
    changed = true;
  }
  if (!expected.aggregationRule && existing.aggregationRule) {
    out.aggregationRule = undefined;
    changed = true;
  } else if (expected.aggregationRule) {
    const have = existing.aggregationRule?.clusterRoleSelectors ?? [];
    const missingSelectors = expected.aggregationRule.clusterRoleSelectors.filter(
      (s) => !have.some((h) => equals(metav1.LabelSelectorSchema, h, s)),
    );
    if (missingSelectors.length > 0) {
      out.aggregationRule = clone(
        rbacv1.AggregationRuleSchema,
        existing.aggregationRule ?? expected.aggregationRule,
      );
      if (existing.aggregationRule) out.aggregationRule.clusterRoleSelectors.push(...missingSelectors);
      changed = true;
    }
  }
  return changed ? out : undefined;
}

const sameSubject = (a: rbacv1.Subject, b: rbacv1.Subject) =>
  a.kind === b.kind && a.apiGroup === b.apiGroup && a.name === b.name && a.namespace === b.namespace;

/**
 * `computeReconciledRoleBinding` (union mode): "recreate" with the expected binding when the
 * roleRef differs, else the existing binding with missing labels, annotations and subjects
 * added, or undefined when nothing is missing.
 */
export function reconcileClusterRoleBinding(
  existing: rbacv1.ClusterRoleBinding,
  expected: rbacv1.ClusterRoleBinding,
): { recreate: rbacv1.ClusterRoleBinding } | { update: rbacv1.ClusterRoleBinding } | undefined {
  const a = existing.roleRef;
  const b = expected.roleRef;
  if (a?.apiGroup !== b?.apiGroup || a?.kind !== b?.kind || a?.name !== b?.name)
    return { recreate: expected };
  const out = clone(rbacv1.ClusterRoleBindingSchema, existing);
  const m = out.metadata!;
  m.annotations = mergeMaps(expected.metadata?.annotations ?? {}, m.annotations);
  m.labels = mergeMaps(expected.metadata?.labels ?? {}, m.labels);
  let changed =
    !sameMap(m.annotations, existing.metadata?.annotations ?? {}) ||
    !sameMap(m.labels, existing.metadata?.labels ?? {});
  const missing = expected.subjects.filter((s) => !existing.subjects.some((e) => sameSubject(e, s)));
  if (missing.length > 0) {
    out.subjects.push(...missing);
    changed = true;
  }
  return changed ? { update: out } : undefined;
}

/**
 * Creates the missing bootstrap ClusterRoles and ClusterRoleBindings and reconciles the existing
 * ones (see the file comment). Call once at start, before serving; `ctx` is the apiserver's own
 * (`systemContext()`).
 */
export async function ensureBootstrapPolicy(
  registry: Registry,
  ctx: RequestContext,
  options: BootstrapOptions = {},
): Promise<BootstrapResult> {
  const result: BootstrapResult = { created: [], updated: [], recreated: [], protected: [] };
  const retries = options.conflictRetries ?? 5;

  const withRetries = async (what: string, step: () => Promise<void>) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await step();
      } catch (err) {
        // Another writer (a second apiserver) got there first: look again.
        if ((isConflict(err) || isAlreadyExists(err) || isNotFound(err)) && attempt < retries) continue;
        throw new Error(`bootstrap policy: ${what}: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
        });
      }
    }
  };

  for (const expected of bootstrapClusterRoles()) {
    const name = expected.metadata!.name;
    const key = `clusterroles/${name}`;
    await withRetries(key, async () => {
      const existing = await getOrUndefined(() => registry.get(CLUSTERROLES, "", name));
      if (!existing) {
        await registry.create(ctx, CLUSTERROLES, "", expected);
        result.created.push(key);
        return;
      }
      const current = existing as rbacv1.ClusterRole;
      if (isProtected(current.metadata)) {
        result.protected.push(key);
        return;
      }
      const next = reconcileClusterRole(current, expected);
      if (next) {
        await registry.update(ctx, CLUSTERROLES, "", name, next);
        result.updated.push(key);
      }
    });
  }

  // Write the aggregated rules of the aggregated bootstrap roles (what the controller would do).
  await withRetries("aggregation", async () => {
    const listed = await registry.list(CLUSTERROLES, "");
    const index = new PolicyIndex();
    index.replace("clusterroles", listed.items as rbacv1.ClusterRole[]);
    for (const expected of bootstrapClusterRoles()) {
      if (!expected.aggregationRule) continue;
      const name = expected.metadata!.name;
      const stored = index.getClusterRole(name);
      if (!stored?.aggregationRule || isProtected(stored.metadata)) continue;
      const rules = index.clusterRoleRules(name) ?? [];
      const same =
        rules.length === stored.rules.length &&
        rules.every((r, i) => equals(rbacv1.PolicyRuleSchema, r, stored.rules[i]!));
      if (same) continue;
      const next = clone(rbacv1.ClusterRoleSchema, stored);
      next.rules = rules.map((r) => clone(rbacv1.PolicyRuleSchema, r));
      await registry.update(ctx, CLUSTERROLES, "", name, next);
      const key = `clusterroles/${name}`;
      if (!result.created.includes(key) && !result.updated.includes(key)) result.updated.push(key);
    }
  });

  for (const expected of bootstrapClusterRoleBindings()) {
    const name = expected.metadata!.name;
    const key = `clusterrolebindings/${name}`;
    await withRetries(key, async () => {
      const existing = await getOrUndefined(() => registry.get(CLUSTERROLEBINDINGS, "", name));
      if (!existing) {
        await registry.create(ctx, CLUSTERROLEBINDINGS, "", expected);
        result.created.push(key);
        return;
      }
      const current = existing as rbacv1.ClusterRoleBinding;
      if (isProtected(current.metadata)) {
        result.protected.push(key);
        return;
      }
      const r = reconcileClusterRoleBinding(current, expected);
      if (!r) return;
      if ("recreate" in r) {
        await registry.delete(ctx, CLUSTERROLEBINDINGS, "", name, {
          preconditions: { uid: current.metadata?.uid ?? "" },
        });
        await registry.create(ctx, CLUSTERROLEBINDINGS, "", r.recreate);
        result.recreated.push(key);
      } else {
        await registry.update(ctx, CLUSTERROLEBINDINGS, "", name, r.update);
        result.updated.push(key);
      }
    });
  }

  options.log?.info(
    {
      created: result.created.length,
      updated: result.updated,
      recreated: result.recreated,
      protected: result.protected,
    },
    "bootstrap RBAC policy ensured",
  );
  return result;
}

async function getOrUndefined<T>(get: () => Promise<T>): Promise<T | undefined> {
  try {
    return await get();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
