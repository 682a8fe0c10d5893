/**
 * The authorization boundary (Kubernetes `authorizer.Attributes` / `Authorizer` /
 * `RuleResolver`, staging/src/k8s.io/apiserver/pkg/authorization/authorizer). The apiserver's
 * chain is `createUnionAuthorizer([createPrivilegedGroupAuthorizer(), rbac])`; the request
 * filter lets a request through only on `allow` and answers anything else with
 * `forbiddenError(attrs, result.reason)`.
 */
import type { UserInfo } from "../request/context.js";

/** What is being done, by whom. */
export interface Attributes {
  user: UserInfo;
  /**
   * get, list, watch, create, update, patch, delete, deletecollection for resources (or a custom
   * verb: escalate, bind, impersonate); the lower-case HTTP method (get, post, ...) for paths.
   */
  verb: string;
  /** True for API objects, false for non-resource paths such as /healthz or /.well-known/... */
  resourceRequest: boolean;
  /** "" for the core group. */
  apiGroup: string;
  /** "*" when a review did not name one; RBAC ignores it. */
  apiVersion: string;
  /** Plural resource name (`serviceaccounts`), without the subresource. */
  resource: string;
  /** `token`, `status`, ... or "". */
  subresource: string;
  /** "" for cluster-scoped resources and for requests across all namespaces. */
  namespace: string;
  /** "" for collection requests (list, watch, create by POST, deletecollection). */
  name: string;
  /** The URL path, for non-resource requests. */
  path: string;
}

/**
 * `allow` and `deny` end the chain; `noOpinion` passes to the next authorizer, and from the whole
 * chain means "not allowed" (403) — but SubjectAccessReview reports it as `allowed: false`
 * without `denied: true`, as Kubernetes does.
 */
export type Decision = "allow" | "deny" | "noOpinion";

export interface AuthorizationResult {
  decision: Decision;
  /**
   * Why: RBAC's `RBAC: allowed by ClusterRoleBinding "b" of ClusterRole "r" to User "u"` on
   * allow; on no opinion empty, or `RBAC: <errors>` when referenced roles were missing (Kubernetes
   * reports those in the reason, which the 403 message then ends with).
   */
  reason: string;
  /**
   * Set when an authorizer failed to evaluate (Kubernetes' authorizer error); reported as a
   * review's `status.evaluationError`. RBAC never sets it.
   */
  evaluationError?: string;
}

export interface Authorizer {
  authorize(attrs: Attributes): Promise<AuthorizationResult>;
}

/** A rule as `SelfSubjectRulesReview` reports it. */
export interface ResourceRuleInfo {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
}
export interface NonResourceRuleInfo {
  verbs: string[];
  nonResourceURLs: string[];
}

export interface RuleResolver {
  /**
   * The rules that apply to the user in the namespace (cluster-wide ones only for ""), for
   * SelfSubjectRulesReview and the escalation check. `evaluationError` names missing roles;
   * `incomplete` is set by resolvers that cannot list everything (RBAC never does).
   */
  rulesFor(
    user: UserInfo,
    namespace: string,
  ): Promise<{
    resourceRules: ResourceRuleInfo[];
    nonResourceRules: NonResourceRuleInfo[];
    incomplete: boolean;
    evaluationError: string;
  }>;
}
