/**
 * The RBAC authorizer (plugin/pkg/auth/authorizer/rbac/rbac.go): an in-memory
 * {@link PolicyIndex} kept current by list + watch of the four RBAC resources through the
 * registry, so `authorize` does no I/O. Allows with Kubernetes' reason
 * (`RBAC: allowed by ClusterRoleBinding "b" of ClusterRole "r" to User "u"`); otherwise has no
 * opinion, with the reason `RBAC: <errors>` when a referenced role was missing — Kubernetes
 * reports such evaluation errors in the reason, not as an authorizer error, and so does this.
 */
import { type ResourceInfo, resourceFor, type StoredObject } from "@tokenplane/apimachinery";
import type { Logger } from "@tokenplane/runtime";
import type { Registry } from "../../registry/registry.js";
import type { UserInfo } from "../../request/context.js";
import type {
  Attributes,
  AuthorizationResult,
  Authorizer,
  NonResourceRuleInfo,
  ResourceRuleInfo,
  RuleResolver,
} from "../authorizer.js";
import {
  aggregateErrors,
  describeSource,
  PolicyIndex,
  type RbacKind,
  type RbacObject,
  rbacGroup,
} from "./policy-index.js";
import { runInformer } from "./registry-informer.js";
import { ruleAllows } from "./rule-matching.js";

/** Options of {@link createRbacAuthorizer}. */
export interface RbacAuthorizerOptions {
  /** Where the RBAC objects are read from (list + watch only). */
  registry: Pick<Registry, "list" | "watch">;
  log: Pick<Logger, "info" | "warn" | "debug">;
}

/** The RBAC authorizer and rule resolver. */
export interface RbacAuthorizer extends Authorizer, RuleResolver {
  /**
   * Lists and starts watching the RBAC resources; resolves once all four are listed (the
   * apiserver should not serve before). Watching goes on until `signal` aborts.
   */
  start(signal: AbortSignal): Promise<void>;
  /** True after the first list of every RBAC resource. */
  hasSynced(): boolean;
  /** The policy as currently known (escalation checks read it too). */
  readonly index: PolicyIndex;
}

const kinds: readonly RbacKind[] = ["clusterroles", "clusterrolebindings", "roles", "rolebindings"];

function infoFor(kind: RbacKind): ResourceInfo {
  const info = resourceFor(rbacGroup, kind);
  if (!info) throw new Error(`resource ${kind}.${rbacGroup} is not registered`);
  return info;
}

/** Authorizes `attrs` against `index`: Kubernetes' `RBACAuthorizer.Authorize`. */
export function authorizeWithIndex(index: PolicyIndex, attrs: Attributes): AuthorizationResult {
  let reason = "";
  const errors: Error[] = [];
  index.visitRulesFor(attrs.user, attrs.namespace, (source, rule, err) => {
    if (source && rule && ruleAllows(attrs, rule)) {
      reason = `RBAC: allowed by ${describeSource(source)}`;
      return false;
    }
    if (err) errors.push(err);
    return true;
  });
  if (reason) return { decision: "allow", reason };
  return { decision: "noOpinion", reason: errors.length ? `RBAC: ${aggregateErrors(errors)}` : "" };
}

/**
 * `RBACAuthorizer.RulesFor`: the user's rules split into resource rules (those with resources)
 * and non-resource rules (those with URLs). `incomplete` is always false, as in Kubernetes; missing
 * roles appear in `evaluationError`.
 */
export function rulesWithIndex(
  index: PolicyIndex,
  user: UserInfo,
  namespace: string,
): Awaited<ReturnType<RuleResolver["rulesFor"]>> {
  const { rules, errors } = index.rulesFor(user, namespace);
  const resourceRules: ResourceRuleInfo[] = [];
  const nonResourceRules: NonResourceRuleInfo[] = [];
  for (const r of rules) {
    if (r.resources.length > 0) {
      resourceRules.push({
        verbs: [...r.verbs],
        apiGroups: [...r.apiGroups],
        resources: [...r.resources],
        resourceNames: [...r.resourceNames],
      });
    }
    if (r.nonResourceURLs.length > 0) {
      nonResourceRules.push({ verbs: [...r.verbs], nonResourceURLs: [...r.nonResourceURLs] });
    }
  }
  return {
    resourceRules,
    nonResourceRules,
    incomplete: false,
    evaluationError: errors.length ? aggregateErrors(errors) : "",
  };
}

/** Creates the RBAC authorizer; call `start` before relying on it. */
export function createRbacAuthorizer(options: RbacAuthorizerOptions): RbacAuthorizer {
  const { registry, log } = options;
  const index = new PolicyIndex();
  let synced = false;

  return {
    index,
    hasSynced: () => synced,
    async start(signal) {
      const runs = kinds.map((kind) => {
        const name = (o: StoredObject) => o.metadata?.name ?? "";
        const ns = (o: StoredObject) => o.metadata?.namespace ?? "";
        return runInformer({
          registry,
          info: infoFor(kind),
          log,
          signal,
          handlers: {
            replace: (items) => index.replace(kind, items as RbacObject[]),
            upsert: (o) => index.upsert(kind, o as RbacObject),
            remove: (o) => index.remove(kind, ns(o), name(o)),
          },
        });
      });
      await Promise.all(runs.map((r) => r.synced));
      synced = true;
      log.info({ objects: index.counts() }, "authorization index synced");
    },
    async authorize(attrs) {
      return authorizeWithIndex(index, attrs);
    },
    async rulesFor(user, namespace) {
      return rulesWithIndex(index, user, namespace);
    },
  };
}
