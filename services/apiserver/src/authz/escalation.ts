/**
 * RBAC's privilege-escalation prevention (pkg/registry/rbac/{role,clusterrole,rolebinding,
 * clusterrolebinding}/policybased/storage.go, pkg/registry/rbac/escalation_check.go,
 * pkg/registry/rbac/validation/rule.go `ConfirmNoEscalation`): a user may write a Role or
 * ClusterRole only with rules they already hold (or with the `escalate` verb on it), and a
 * RoleBinding or ClusterRoleBinding only to a role whose rules they already hold (or with the
 * `bind` verb on that role). `system:masters` is exempt.
 *
 * Kubernetes runs this inside the RBAC kinds' REST storage, before the generic create/update;
 * here it is a check the request path calls for RBAC writes, before the registry (or from its
 * admission hook). The rules the user holds come from the authorizer's in-memory index, which
 * follows the store by watch, where Kubernetes reads storage directly — a grant made a moment
 * ago may not count yet.
 */
import { clone, equals } from "@bufbuild/protobuf";
import {
  goQuote,
  goQuoteSlice,
  newInternalError,
  newNotFound,
  type ResourceInfo,
  type StoredObject,
} from "@tokenplane/apimachinery";
import { metav1, type rbacv1 } from "@tokenplane/proto";
import type { UserInfo } from "../request/context.js";
import type { Attributes, Authorizer } from "./authorizer.js";
import { newForbiddenStatus } from "./forbidden-message.js";
import { systemPrivilegedGroup } from "./privileged-group-authorizer.js";
import { compactRules, compactString, covers } from "./rbac/policy-comparator.js";
import { aggregateErrors, type PolicyIndex, rbacGroup } from "./rbac/policy-index.js";
import type { PolicyRuleLike } from "./rbac/rule-matching.js";

/**
 * `ConfirmNoEscalation`: undefined when the rules `user` holds in `namespace` (cluster-wide ones
 * only for "") cover `rules`, else Kubernetes' message:
 * `user "u" (groups=["a" "b"]) is attempting to grant RBAC permissions not currently held:` and
 * one compact rule per line (sorted), then `; resolution errors: [...]` when roles were missing.
 */
export function confirmNoEscalation(
  index: PolicyIndex,
  user: UserInfo,
  namespace: string,
  rules: readonly PolicyRuleLike[],
): string | undefined {
  const owner = index.rulesFor(user, namespace);
  const { covered, missing } = covers(owner.rules, rules);
  if (covered) return undefined;
  const descriptions = [...new Set(compactRules(missing).map(compactString))].sort();
  let msg = `user ${goQuote(user.username)} (groups=${goQuoteSlice(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${descriptions.join("\n")}`;
  if (owner.errors.length) msg += `; resolution errors: [${aggregateErrors(owner.errors)}]`;
  return msg;
}

/** `fullAuthority`: what setting an aggregationRule requires (`*` on everything and every URL). */
const fullAuthority: PolicyRuleLike[] = [
  { verbs: ["*"], apiGroups: ["*"], resources: ["*"], resourceNames: [], nonResourceURLs: [] },
  { verbs: ["*"], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: ["*"] },
];

/** A create or update of an RBAC object, as the request path sees it. */
export interface RbacWriteRequest {
  operation: "CREATE" | "UPDATE";
  info: ResourceInfo;
  /** The request's namespace ("" for cluster-scoped kinds). */
  namespace: string;
  /** The name from the URL ("" for a create). */
  name: string;
  object: StoredObject;
  /** The stored object, for updates. */
  oldObject?: StoredObject;
  user: UserInfo;
}

/** Options of {@link createEscalationCheck}. */
export interface EscalationCheckOptions {
  /** The whole authorizer chain: asked about the `escalate` and `bind` verbs. */
  authorizer: Authorizer;
  /** The RBAC policy: the rules users hold and the rules of referenced roles. */
  index: PolicyIndex;
}

/** The escalation check of RBAC writes. */
export interface EscalationCheck {
  /** Throws a 403 (or 404 for a binding to a missing role) StatusError; no-op for other kinds. */
  check(request: RbacWriteRequest): Promise<void>;
}

/** `EscalationAllowed`: members of system:masters may grant anything. */
function escalationAllowed(user: UserInfo): boolean {
  return user.groups.includes(systemPrivilegedGroup);
}

function attrs(
  user: UserInfo,
  verb: string,
  resource: string,
  namespace: string,
  name: string,
  apiVersion: string,
): Attributes {
  return {
    user,
    verb,
    resourceRequest: true,
    apiGroup: rbacGroup,
    apiVersion,
    resource,
    subresource: "",
    namespace,
    name,
    path: "",
  };
}

/**
 * `IsOnlyMutatingGCFields`: the update changes nothing but ownerReferences and finalizers (what
 * the garbage collector touches; managedFields are not modelled), so no check is needed.
 */
function isOnlyMutatingGCFields(
  info: ResourceInfo,
  obj: StoredObject,
  old: StoredObject | undefined,
): boolean {
  if (!old) return false;
  const copy = clone(info.schema, obj as never) as StoredObject;
  const m = copy.metadata ?? clone(metav1.ObjectMetaSchema, old.metadata!);
  m.ownerReferences = [...(old.metadata?.ownerReferences ?? [])];
  m.finalizers = [...(old.metadata?.finalizers ?? [])];
  (copy as { metadata?: metav1.ObjectMeta }).metadata = m;
  return equals(info.schema, copy as never, old as never);
}

function hasAggregationRule(r: StoredObject | undefined): boolean {
  return ((r as rbacv1.ClusterRole | undefined)?.aggregationRule?.clusterRoleSelectors.length ?? 0) > 0;
}

/** Creates the check. */
export function createEscalationCheck(options: EscalationCheckOptions): EscalationCheck {
  const { authorizer, index } = options;
  const gr = (resource: string) => ({ group: rbacGroup, resource });

  async function checkRole(req: RbacWriteRequest): Promise<void> {
    const { user, info, namespace } = req;
    // RoleEscalationAuthorized: the `escalate` verb on this resource (and name, for updates).
    const escalate = await authorizer.authorize(
      attrs(user, "escalate", info.resource, namespace, req.name, "*"),
    );
    if (escalate.decision === "allow") return;
    if (req.operation === "UPDATE" && isOnlyMutatingGCFields(info, req.object, req.oldObject)) return;
    const role = req.object as rbacv1.Role | rbacv1.ClusterRole;
    const name = role.metadata?.name ?? "";
    const msg = confirmNoEscalation(index, user, namespace, role.rules);
    if (msg) throw newForbiddenStatus(gr(info.resource), name, msg);
    if (
      info.resource === "clusterroles" &&
      (hasAggregationRule(req.object) || hasAggregationRule(req.oldObject))
    ) {
      if (confirmNoEscalation(index, user, namespace, fullAuthority)) {
        throw newForbiddenStatus(
          gr(info.resource),
          name,
          "must have cluster-admin privileges to use the aggregationRule",
        );
      }
    }
  }

  async function checkBinding(req: RbacWriteRequest): Promise<void> {
    const { user, info, namespace } = req;
    if (req.operation === "UPDATE" && isOnlyMutatingGCFields(info, req.object, req.oldObject)) return;
    const binding = req.object as rbacv1.RoleBinding | rbacv1.ClusterRoleBinding;
    const ref = binding.roleRef;
    // BindingAuthorized: the `bind` verb on the referenced role, in the binding's namespace.
    if (ref?.kind === "ClusterRole" || ref?.kind === "Role") {
      const resource = ref.kind === "ClusterRole" ? "clusterroles" : "roles";
      const bind = await authorizer.authorize({
        ...attrs(user, "bind", resource, namespace, ref.name, ""),
        apiGroup: ref.apiGroup,
      });
      if (bind.decision === "allow") return;
    }
    // GetRoleReferenceRules, read through the registry in Kubernetes: a missing role is a 404.
    let rules: readonly PolicyRuleLike[];
    if (ref?.kind === "Role") {
      const role = index.getRole(namespace, ref.name);
      if (!role) throw newNotFound(gr("roles"), ref.name);
      rules = role.rules;
    } else if (ref?.kind === "ClusterRole") {
      const r = index.clusterRoleRules(ref.name);
      if (!r) throw newNotFound(gr("clusterroles"), ref.name);
      rules = r;
    } else {
      throw newInternalError(`unsupported role reference kind: ${goQuote(ref?.kind ?? "")}`);
    }
    const msg = confirmNoEscalation(index, user, namespace, rules);
    if (msg) throw newForbiddenStatus(gr(info.resource), binding.metadata?.name ?? "", msg);
  }

  return {
    async check(req) {
      if (req.info.group !== rbacGroup || escalationAllowed(req.user)) return;
      switch (req.info.resource) {
        case "roles":
        case "clusterroles":
          return checkRole(req);
        case "rolebindings":
        case "clusterrolebindings":
          return checkBinding(req);
      }
    },
  };
}
