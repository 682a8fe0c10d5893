/**
 * The in-memory RBAC policy: every Role, ClusterRole, RoleBinding and ClusterRoleBinding, kept
 * current from the registry's watch (see `rbac-authorizer.ts`), and the rule walk over them —
 * Kubernetes' `DefaultRuleResolver.VisitRulesFor` and `GetRoleReferenceRules`
 * (pkg/registry/rbac/validation/rule.go). No I/O: `authorize` reads only this.
 *
 * ClusterRole aggregation (`aggregationRule`) is resolved here on read, instead of by Kubernetes'
 * clusterrole-aggregation controller writing the rules back: an aggregated role's rules are the
 * de-duplicated rules of every other ClusterRole its selectors pick, in selector order and name
 * order within a selector (as the controller builds them), its own stored `rules` ignored.
 */
import { equals } from "@bufbuild/protobuf";
import { goQuote, matchesLabels, newNotFound } from "@tokenplane/apimachinery";
import { rbacv1 } from "@tokenplane/proto";
import type { UserInfo } from "../../request/context.js";
import { selectorFromMeta } from "./label-selector.js";
import { appliesTo, describeSubject } from "./subject-matching.js";

/** The RBAC API group. */
export const rbacGroup = "rbac.authorization.k8s.io";

/** The binding and subject a rule came from (Kubernetes' `clusterRoleBindingDescriber` / `roleBindingDescriber`). */
export interface RuleSource {
  readonly binding: rbacv1.ClusterRoleBinding | rbacv1.RoleBinding;
  /** "" for a ClusterRoleBinding. */
  readonly bindingNamespace: string;
  readonly subject: rbacv1.Subject;
}

/**
 * The source as RBAC's allow reason names it:
 * `ClusterRoleBinding "b" of ClusterRole "r" to Group "g"` or
 * `RoleBinding "b/ns" of Role "r" to ServiceAccount "sa/ns"`.
 */
export function describeSource(s: RuleSource): string {
  const ref = s.binding.roleRef;
  const q = goQuote;
  const name = s.bindingNamespace
    ? `RoleBinding ${q(`${s.binding.metadata?.name ?? ""}/${s.bindingNamespace}`)}`
    : `ClusterRoleBinding ${q(s.binding.metadata?.name ?? "")}`;
  return `${name} of ${ref?.kind ?? ""} ${q(ref?.name ?? "")} to ${describeSubject(s.subject, s.bindingNamespace)}`;
}

/**
 * Called for every rule that applies (with its source) and for every evaluation error (a
 * missing role); return false to stop the walk.
 */
export type RuleVisitor = (
  source: RuleSource | undefined,
  rule: rbacv1.PolicyRule | undefined,
  err: Error | undefined,
) => boolean;

/** A lister error message as Kubernetes' informer listers word it: `clusterrole.rbac.authorization.k8s.io "x" not found`. */
function listerNotFound(kind: "role" | "clusterrole", name: string): Error {
  return new Error(newNotFound({ group: rbacGroup, resource: kind }, name).message);
}

/** Objects by name, with a name-sorted snapshot rebuilt only after a change. */
class NamedSet<T> {
  private readonly byName = new Map<string, T>();
  private sorted: T[] | undefined;

  get(name: string): T | undefined {
    return this.byName.get(name);
  }
  set(name: string, obj: T): void {
    this.byName.set(name, obj);
    this.sorted = undefined;
  }
  delete(name: string): void {
    if (this.byName.delete(name)) this.sorted = undefined;
  }
  get size(): number {
    return this.byName.size;
  }
  /** Values in name order (deterministic reasons; Kubernetes' listers have no order). */
  values(): readonly T[] {
    if (!this.sorted) {
      this.sorted = [...this.byName.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([, v]) => v);
    }
    return this.sorted;
  }
}

/** The four RBAC kinds as the index names them. */
export type RbacKind = "roles" | "clusterroles" | "rolebindings" | "clusterrolebindings";

/** Any of the four RBAC kinds. */
export type RbacObject = rbacv1.Role | rbacv1.ClusterRole | rbacv1.RoleBinding | rbacv1.ClusterRoleBinding;

/** The in-memory RBAC policy. */
export class PolicyIndex {
  private readonly clusterRoles = new NamedSet<rbacv1.ClusterRole>();
  private readonly clusterRoleBindings = new NamedSet<rbacv1.ClusterRoleBinding>();
  private readonly roles = new Map<string, NamedSet<rbacv1.Role>>();
  private readonly roleBindings = new Map<string, NamedSet<rbacv1.RoleBinding>>();
  /** Aggregated rules by ClusterRole name; cleared on every ClusterRole change. */
  private aggregated = new Map<string, rbacv1.PolicyRule[]>();

  /** Adds or replaces an object (a watch ADDED / MODIFIED). */
  upsert(kind: RbacKind, obj: RbacObject): void {
    const name = obj.metadata?.name ?? "";
    const ns = obj.metadata?.namespace ?? "";
    switch (kind) {
      case "clusterroles":
        this.clusterRoles.set(name, obj as rbacv1.ClusterRole);
        this.aggregated = new Map();
        break;
      case "clusterrolebindings":
        this.clusterRoleBindings.set(name, obj as rbacv1.ClusterRoleBinding);
        break;
      case "roles":
        namespaced(this.roles, ns).set(name, obj as rbacv1.Role);
        break;
      case "rolebindings":
        namespaced(this.roleBindings, ns).set(name, obj as rbacv1.RoleBinding);
        break;
    }
  }

  /** Removes an object (a watch DELETED). */
  remove(kind: RbacKind, namespace: string, name: string): void {
    switch (kind) {
      case "clusterroles":
        this.clusterRoles.delete(name);
        this.aggregated = new Map();
        break;
      case "clusterrolebindings":
        this.clusterRoleBindings.delete(name);
        break;
      case "roles":
        this.roles.get(namespace)?.delete(name);
        break;
      case "rolebindings":
        this.roleBindings.get(namespace)?.delete(name);
        break;
    }
  }

  /** Replaces every object of a kind (a relist). */
  replace(kind: RbacKind, objects: readonly RbacObject[]): void {
    switch (kind) {
      case "clusterroles":
        for (const r of [...this.clusterRoles.values()]) this.clusterRoles.delete(r.metadata?.name ?? "");
        this.aggregated = new Map();
        break;
      case "clusterrolebindings":
        for (const b of [...this.clusterRoleBindings.values()])
          this.clusterRoleBindings.delete(b.metadata?.name ?? "");
        break;
      case "roles":
        this.roles.clear();
        break;
      case "rolebindings":
        this.roleBindings.clear();
        break;
    }
    for (const o of objects) this.upsert(kind, o);
  }

  /** Counts per kind, for logs and tests. */
  counts(): Record<RbacKind, number> {
    const sum = (m: Map<string, NamedSet<unknown>>) => [...m.values()].reduce((n, s) => n + s.size, 0);
    return {
      clusterroles: this.clusterRoles.size,
      clusterrolebindings: this.clusterRoleBindings.size,
      roles: sum(this.roles),
      rolebindings: sum(this.roleBindings),
    };
  }

  /** A ClusterRole as stored. */
  getClusterRole(name: string): rbacv1.ClusterRole | undefined {
    return this.clusterRoles.get(name);
  }

  /** A Role as stored. */
  getRole(namespace: string, name: string): rbacv1.Role | undefined {
    return this.roles.get(namespace)?.get(name);
  }

  /** Every ClusterRole in name order. */
  listClusterRoles(): readonly rbacv1.ClusterRole[] {
    return this.clusterRoles.values();
  }

  /**
   * The rules a ClusterRole grants: its own, or for an aggregated role the rules its selectors
   * gather (see the file comment). Undefined when the role does not exist.
   */
  clusterRoleRules(name: string): readonly rbacv1.PolicyRule[] | undefined {
    const role = this.clusterRoles.get(name);
    if (!role) return undefined;
    if (!role.aggregationRule) return role.rules;
    let rules = this.aggregated.get(name);
    if (!rules) {
      rules = this.aggregate(role, new Set([name]));
      this.aggregated.set(name, rules);
    }
    return rules;
  }

  private aggregate(role: rbacv1.ClusterRole, visiting: Set<string>): rbacv1.PolicyRule[] {
    const out: rbacv1.PolicyRule[] = [];
    const self = role.metadata?.name ?? "";
    for (const metaSel of role.aggregationRule?.clusterRoleSelectors ?? []) {
      const sel = selectorFromMeta(metaSel);
      if (!sel) continue;
      for (const other of this.clusterRoles.values()) {
        const name = other.metadata?.name ?? "";
        if (name === self || !matchesLabels(sel, other.metadata?.labels ?? {})) continue;
        let rules: readonly rbacv1.PolicyRule[] = other.rules;
        if (other.aggregationRule) {
          // Nested aggregation converges in Kubernetes through repeated controller passes; here
          // it is resolved at once, with a guard against selector cycles.
          if (visiting.has(name)) continue;
          visiting.add(name);
          rules = this.aggregated.get(name) ?? this.aggregate(other, visiting);
          visiting.delete(name);
        }
        for (const r of rules) {
          if (!out.some((x) => equals(rbacv1.PolicyRuleSchema, x, r))) out.push(r);
        }
      }
    }
    return out;
  }

  /**
   * `GetRoleReferenceRules`: the rules of a binding's role (a Role in the binding's namespace, or
   * a ClusterRole), or the lister's not-found error.
   */
  roleReferenceRules(
    roleRef: rbacv1.RoleRef | undefined,
    bindingNamespace: string,
  ): { rules: readonly rbacv1.PolicyRule[] } | { error: Error } {
    const kind = roleRef?.kind ?? "";
    const name = roleRef?.name ?? "";
    switch (kind) {
      case "Role": {
        const role = this.getRole(bindingNamespace, name);
        return role ? { rules: role.rules } : { error: listerNotFound("role", name) };
      }
      case "ClusterRole": {
        const rules = this.clusterRoleRules(name);
        return rules ? { rules } : { error: listerNotFound("clusterrole", name) };
      }
      default:
        return { error: new Error(`unsupported role reference kind: ${goQuote(kind)}`) };
    }
  }

  /**
   * `VisitRulesFor`: every rule granted to `user` by ClusterRoleBindings, then (for a namespace)
   * by the RoleBindings of that namespace, each with its source; missing roles are reported as
   * errors and the walk goes on.
   */
  visitRulesFor(user: UserInfo, namespace: string, visitor: RuleVisitor): void {
    for (const b of this.clusterRoleBindings.values()) {
      const i = appliesTo(user, b.subjects, "");
      if (i < 0) continue;
      const r = this.roleReferenceRules(b.roleRef, "");
      if ("error" in r) {
        if (!visitor(undefined, undefined, r.error)) return;
        continue;
      }
      const source: RuleSource = { binding: b, bindingNamespace: "", subject: b.subjects[i]! };
      for (const rule of r.rules) if (!visitor(source, rule, undefined)) return;
    }
    if (!namespace) return;
    for (const b of this.roleBindings.get(namespace)?.values() ?? []) {
      const i = appliesTo(user, b.subjects, namespace);
      if (i < 0) continue;
      const r = this.roleReferenceRules(b.roleRef, namespace);
      if ("error" in r) {
        if (!visitor(undefined, undefined, r.error)) return;
        continue;
      }
      const source: RuleSource = { binding: b, bindingNamespace: namespace, subject: b.subjects[i]! };
      for (const rule of r.rules) if (!visitor(source, rule, undefined)) return;
    }
  }

  /** `RulesFor`: every rule that applies, and the evaluation errors met on the way. */
  rulesFor(user: UserInfo, namespace: string): { rules: rbacv1.PolicyRule[]; errors: Error[] } {
    const rules: rbacv1.PolicyRule[] = [];
    const errors: Error[] = [];
    this.visitRulesFor(user, namespace, (_s, rule, err) => {
      if (rule) rules.push(rule);
      if (err) errors.push(err);
      return true;
    });
    return { rules, errors };
  }
}

function namespaced<T>(m: Map<string, NamedSet<T>>, ns: string): NamedSet<T> {
  let s = m.get(ns);
  if (!s) {
    s = new NamedSet<T>();
    m.set(ns, s);
  }
  return s;
}

/**
 * `utilerrors.NewAggregate(errs).Error()`: one error as itself, several as `[e1, e2]`
 * (duplicates removed).
 */
export function aggregateErrors(errs: readonly Error[]): string {
  const texts = [...new Set(errs.map((e) => e.message))];
  if (texts.length === 1) return texts[0]!;
  return `[${texts.join(", ")}]`;
}
