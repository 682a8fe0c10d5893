/**
 * Which binding subjects a user is: Kubernetes' `appliesTo` / `appliesToUser`
 * (pkg/registry/rbac/validation/rule.go) and `serviceaccount.MatchesUsername` (reference §1.7).
 */
import { goQuote } from "@tokenplane/apimachinery";
import type { UserInfo } from "../../request/context.js";

/** The fields of `rbacv1.Subject` that matching reads. */
export interface SubjectLike {
  readonly kind: string;
  readonly apiGroup: string;
  readonly name: string;
  readonly namespace: string;
}

/** `rbacv1.UserKind`, `GroupKind`, `ServiceAccountKind`. */
export const UserKind = "User";
export const GroupKind = "Group";
export const ServiceAccountKind = "ServiceAccount";

/** The user-name prefix of service accounts (reference §0). */
export const serviceAccountUsernamePrefix = "system:serviceaccount:";

/**
 * `MatchesUsername`: `username` is exactly `system:serviceaccount:<namespace>:<name>`, compared
 * without building the string (it runs for every ServiceAccount subject of every binding).
 */
export function matchesServiceAccountUsername(namespace: string, name: string, username: string): boolean {
  const p = serviceAccountUsernamePrefix;
  if (!username.startsWith(p)) return false;
  let rest = p.length;
  if (!username.startsWith(namespace, rest)) return false;
  rest += namespace.length;
  if (username[rest] !== ":") return false;
  rest += 1;
  return username.length - rest === name.length && username.startsWith(name, rest);
}

/**
 * `appliesToUser`: a User subject by name, a Group by membership, a ServiceAccount by its user
 * name. A ServiceAccount subject without a namespace takes `namespace` (the RoleBinding's, empty
 * for ClusterRoleBindings, where such a subject then matches nobody).
 */
export function appliesToUser(user: UserInfo, subject: SubjectLike, namespace: string): boolean {
  switch (subject.kind) {
    case UserKind:
      return user.username === subject.name;
    case GroupKind:
      return user.groups.includes(subject.name);
    case ServiceAccountKind: {
      const saNamespace = subject.namespace || namespace;
      if (!saNamespace) return false;
      return matchesServiceAccountUsername(saNamespace, subject.name, user.username);
    }
    default:
      return false;
  }
}

/**
 * `appliesTo`: the index of the first subject the user is, or -1. `bindingNamespace` is the
 * RoleBinding's namespace, or "" for a ClusterRoleBinding.
 */
export function appliesTo(
  user: UserInfo,
  subjects: readonly SubjectLike[],
  bindingNamespace: string,
): number {
  for (let i = 0; i < subjects.length; i++) {
    if (appliesToUser(user, subjects[i]!, bindingNamespace)) return i;
  }
  return -1;
}

/**
 * `describeSubject`: `Kind "name"`, with `name/namespace` for service accounts (their namespace
 * defaulted to the binding's), as in RBAC's allow reasons.
 */
export function describeSubject(subject: SubjectLike, bindingNamespace: string): string {
  if (subject.kind === ServiceAccountKind) {
    const ns = subject.namespace || bindingNamespace;
    return `${subject.kind} ${goQuote(`${subject.name}/${ns}`)}`;
  }
  return `${subject.kind} ${goQuote(subject.name)}`;
}
