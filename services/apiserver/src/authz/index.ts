/**
 * Authorization for the apiserver: Kubernetes RBAC over the registry, the privileged group, the
 * union chain, the forbidden texts, the escalation check, the bootstrap policy and the
 * access-review APIs. See README.md.
 */
export * from "./access-reviews.js";
export * from "./authorizer.js";
export * from "./bootstrap-policy.js";
export * from "./escalation.js";
export * from "./forbidden-message.js";
export * from "./privileged-group-authorizer.js";
export {
  type ClusterRoleAggregator,
  type ClusterRoleAggregatorOptions,
  createClusterRoleAggregator,
} from "./rbac/cluster-role-aggregator.js";
export { PolicyIndex } from "./rbac/policy-index.js";
export {
  authorizeWithIndex,
  createRbacAuthorizer,
  type RbacAuthorizer,
  type RbacAuthorizerOptions,
  rulesWithIndex,
} from "./rbac/rbac-authorizer.js";
export { ruleAllows } from "./rbac/rule-matching.js";
export * from "./union-authorizer.js";
