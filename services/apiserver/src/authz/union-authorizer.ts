/**
 * Kubernetes' union authorizer and rule resolver
 * (staging/src/k8s.io/apiserver/pkg/authorization/union): authorizers are asked in order and the
 * first allow or deny decides; when every one has no opinion the result is `noOpinion` with
 * their reasons joined by newlines and their evaluation errors aggregated.
 *
 * The request filter turns anything but `allow` into 403 (see `forbidden-message.ts`), so
 * "no opinion from anyone" is a denial; it stays `noOpinion` here because SubjectAccessReview
 * reports it as `allowed: false` without `denied: true`, as Kubernetes does.
 */
import type { AuthorizationResult, Authorizer, RuleResolver } from "./authorizer.js";
import { aggregateErrors } from "./rbac/policy-index.js";

/** The first allow/deny of `authorizers`, in order. */
export function createUnionAuthorizer(authorizers: readonly Authorizer[]): Authorizer {
  return {
    async authorize(attrs): Promise<AuthorizationResult> {
      const reasons: string[] = [];
      const errors: Error[] = [];
      for (const a of authorizers) {
        const r = await a.authorize(attrs);
        if (r.decision === "allow" || r.decision === "deny") return r;
        if (r.reason) reasons.push(r.reason);
        if (r.evaluationError) errors.push(new Error(r.evaluationError));
      }
      const result: AuthorizationResult = { decision: "noOpinion", reason: reasons.join("\n") };
      if (errors.length) result.evaluationError = aggregateErrors(errors);
      return result;
    },
  };
}

/** Every resolver's rules concatenated; incomplete if any is; errors aggregated. */
export function createUnionRuleResolver(resolvers: readonly RuleResolver[]): RuleResolver {
  return {
    async rulesFor(user, namespace) {
      const out: Awaited<ReturnType<RuleResolver["rulesFor"]>> = {
        resourceRules: [],
        nonResourceRules: [],
        incomplete: false,
        evaluationError: "",
      };
      const errors: Error[] = [];
      for (const r of resolvers) {
        const part = await r.rulesFor(user, namespace);
        out.resourceRules.push(...part.resourceRules);
        out.nonResourceRules.push(...part.nonResourceRules);
        if (part.incomplete) out.incomplete = true;
        if (part.evaluationError) errors.push(new Error(part.evaluationError));
      }
      if (errors.length) out.evaluationError = aggregateErrors(errors);
      return out;
    },
  };
}

/** True only for `allow`: what the request filter lets through. */
export function isAllowed(result: AuthorizationResult): boolean {
  return result.decision === "allow";
}
