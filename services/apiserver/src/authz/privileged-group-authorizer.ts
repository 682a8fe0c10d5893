/**
 * Kubernetes' `authorizerfactory.NewPrivilegedGroups(user.SystemPrivilegedGroup)`: members of
 * `system:masters` may do everything, without consulting RBAC. kube-apiserver puts it first in
 * its authorizer chain; so does tokenplane (see `union-authorizer.ts`).
 */
import type { Authorizer } from "./authorizer.js";

/** `user.SystemPrivilegedGroup`. */
export const systemPrivilegedGroup = "system:masters";

/**
 * Allows (with an empty reason, as Kubernetes) any user in one of `groups`; no opinion
 * otherwise.
 */
export function createPrivilegedGroupAuthorizer(
  groups: readonly string[] = [systemPrivilegedGroup],
): Authorizer {
  return {
    async authorize(attrs) {
      for (const g of attrs.user.groups) {
        if (groups.includes(g)) return { decision: "allow", reason: "" };
      }
      return { decision: "noOpinion", reason: "" };
    },
  };
}
