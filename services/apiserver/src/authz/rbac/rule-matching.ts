/**
 * Whether one RBAC policy rule allows a request: Kubernetes' `rbacv1helpers.VerbMatches`,
 * `APIGroupMatches`, `ResourceMatches`, `ResourceNameMatches`, `NonResourceURLMatches`
 * (pkg/apis/rbac/v1/evaluation_helpers.go) and `RuleAllows` (plugin/pkg/auth/authorizer/rbac/rbac.go).
 * Pure functions, on the hot path of every request.
 */
import type { Attributes } from "../authorizer.js";

/** The fields of `rbacv1.PolicyRule` that matching reads (a proto message or a plain object). */
export interface PolicyRuleLike {
  readonly verbs: readonly string[];
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly resourceNames: readonly string[];
  readonly nonResourceURLs: readonly string[];
}

/** `rbacv1.VerbAll`, `APIGroupAll`, `ResourceAll`, `NonResourceAll`: all are `*`. */
export const matchAll = "*";

/** A rule verb equals the requested verb, or is `*`. */
export function verbMatches(rule: Pick<PolicyRuleLike, "verbs">, requestedVerb: string): boolean {
  for (const v of rule.verbs) if (v === matchAll || v === requestedVerb) return true;
  return false;
}

/** A rule group equals the requested group (`""` is the core group), or is `*`. */
export function apiGroupMatches(rule: Pick<PolicyRuleLike, "apiGroups">, requestedGroup: string): boolean {
  for (const g of rule.apiGroups) if (g === matchAll || g === requestedGroup) return true;
  return false;
}

/**
 * A rule resource matches `combinedRequestedResource` (`resource` or `resource/subresource`) when it
 * is `*` (everything, subresources included), equals it exactly, or is `*\/<subresource>` (any
 * resource's subresource of that name). There is no `pods\/*` form: such a rule matches only the
 * literal combined resource `pods\/*`, exactly as in Kubernetes.
 */
export function resourceMatches(
  rule: Pick<PolicyRuleLike, "resources">,
  combinedRequestedResource: string,
  requestedSubresource: string,
): boolean {
  for (const r of rule.resources) {
    if (r === matchAll || r === combinedRequestedResource) return true;
    if (!requestedSubresource) continue;
    if (
      r.length === requestedSubresource.length + 2 &&
      r.startsWith("*/") &&
      r.endsWith(requestedSubresource)
    ) {
      return true;
    }
  }
  return false;
}

/** An empty `resourceNames` allows every name; otherwise the requested name must be listed. */
export function resourceNameMatches(
  rule: Pick<PolicyRuleLike, "resourceNames">,
  requestedName: string,
): boolean {
  if (rule.resourceNames.length === 0) return true;
  return rule.resourceNames.includes(requestedName);
}

/** A rule URL is `*`, equals the path, or ends in `*` and is a prefix of the path (without the stars). */
export function nonResourceURLMatches(
  rule: Pick<PolicyRuleLike, "nonResourceURLs">,
  requestedURL: string,
): boolean {
  for (const u of rule.nonResourceURLs) {
    if (u === matchAll || u === requestedURL) return true;
    if (u.endsWith("*") && requestedURL.startsWith(trimRightStars(u))) return true;
  }
  return false;
}

/** Go's `strings.TrimRight(s, "*")`. */
export function trimRightStars(s: string): string {
  let end = s.length;
  while (end > 0 && s[end - 1] === "*") end--;
  return s.slice(0, end);
}

/** The request's `resource[/subresource]`, as RBAC and the forbidden message name it. */
export function combinedResource(attrs: Pick<Attributes, "resource" | "subresource">): string {
  return attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
}

/** `RuleAllows`: resource requests match verb, group, resource and name; others verb and path. */
export function ruleAllows(attrs: Attributes, rule: PolicyRuleLike): boolean {
  if (attrs.resourceRequest) {
    return (
      verbMatches(rule, attrs.verb) &&
      apiGroupMatches(rule, attrs.apiGroup) &&
      resourceMatches(rule, combinedResource(attrs), attrs.subresource) &&
      resourceNameMatches(rule, attrs.name)
    );
  }
  return verbMatches(rule, attrs.verb) && nonResourceURLMatches(rule, attrs.path);
}
