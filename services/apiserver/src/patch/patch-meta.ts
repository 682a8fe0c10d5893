/**
 * How Kubernetes declares its list fields, for the subset tokenplane models: the strategic merge
 * patch markers (`+patchStrategy`, `+patchMergeKey`, Go struct tags `patchStrategy:"merge"
 * patchMergeKey:"name"`) and the server-side apply markers (`+listType`, `+listMapKey`), copied
 * from k8s.io/api core/v1, rbac/v1, authentication/v1, authorization/v1 and apimachinery meta/v1
 * (Kubernetes 1.32).
 *
 * This is the one place these facts are written: the strategic merge patch (`strategic-merge-patch.ts`)
 * merges lists by them, and the OpenAPI generator (`http/openapi`) publishes them as
 * `x-kubernetes-patch-strategy`, `x-kubernetes-patch-merge-key`, `x-kubernetes-list-type` and
 * `x-kubernetes-list-map-keys` — which `kubectl apply` reads to compute its patches.
 *
 * A list field that is not listed here has no patch strategy: a patch replaces it whole.
 */

/** The markers of one field. */
export interface FieldPatchMeta {
  /** `x-kubernetes-patch-strategy`: `merge`, `retainKeys` or `merge,retainKeys`. */
  patchStrategy?: "merge" | "retainKeys" | "merge,retainKeys";
  /** `x-kubernetes-patch-merge-key`: the key that identifies an element of a merged list of objects. */
  patchMergeKey?: string;
  /** `x-kubernetes-list-type`. */
  listType?: "atomic" | "map" | "set";
  /** `x-kubernetes-list-map-keys` (with `listType: map`). */
  listMapKeys?: readonly string[];
}

const CORE = "k8s.io.api.core.v1";
const META = "k8s.io.apimachinery.pkg.apis.meta.v1";
const RBAC = "k8s.io.api.rbac.v1";
const AUTHN = "k8s.io.api.authentication.v1";
const AUTHZ = "k8s.io.api.authorization.v1";

/** Merged by `name`, listType map keyed by `name` (containers, volumes, env, ...). */
const byName: FieldPatchMeta = {
  patchStrategy: "merge",
  patchMergeKey: "name",
  listType: "map",
  listMapKeys: ["name"],
};
/** Conditions: merged by `type`. */
const byType: FieldPatchMeta = {
  patchStrategy: "merge",
  patchMergeKey: "type",
  listType: "map",
  listMapKeys: ["type"],
};
const atomic: FieldPatchMeta = { listType: "atomic" };
/** Container ports: SMP merges by containerPort; SSA keys on containerPort and protocol. */
const ports: FieldPatchMeta = {
  patchStrategy: "merge",
  patchMergeKey: "containerPort",
  listType: "map",
  listMapKeys: ["containerPort", "protocol"],
};
const volumeMounts: FieldPatchMeta = {
  patchStrategy: "merge",
  patchMergeKey: "mountPath",
  listType: "map",
  listMapKeys: ["mountPath"],
};
/** The container fields shared by Container and EphemeralContainerCommon. */
const containerFields: Record<string, FieldPatchMeta> = {
  command: atomic,
  args: atomic,
  ports,
  envFrom: atomic,
  env: byName,
  volumeMounts,
};

/**
 * Field markers by message type name (proto package + message) and JSON field name. Inline
 * members are listed under the message that declares them (EphemeralContainerCommon).
 */
export const patchMetaTable: Readonly<Record<string, Readonly<Record<string, FieldPatchMeta>>>> = {
  [`${META}.ObjectMeta`]: {
    ownerReferences: { patchStrategy: "merge", patchMergeKey: "uid", listType: "map", listMapKeys: ["uid"] },
    // `+patchStrategy=merge +listType=set`: a patch adds finalizers; `$deleteFromPrimitiveList` removes.
    finalizers: { patchStrategy: "merge", listType: "set" },
  },
  [`${META}.LabelSelector`]: { matchExpressions: atomic },
  [`${META}.LabelSelectorRequirement`]: { values: atomic },

  [`${CORE}.NamespaceSpec`]: { finalizers: atomic },
  [`${CORE}.NamespaceStatus`]: { conditions: byType },
  // ServiceAccount.secrets: `+patchMergeKey=name +patchStrategy=merge` (no listType marker).
  [`${CORE}.ServiceAccount`]: { secrets: { patchStrategy: "merge", patchMergeKey: "name" } },
  [`${CORE}.NodeSpec`]: { taints: atomic, podCIDRs: { patchStrategy: "merge", listType: "set" } },
  // addresses: declared mergeable by type but `+listType=atomic` (the key is not unique, pr 79391).
  [`${CORE}.NodeStatus`]: {
    conditions: byType,
    addresses: { patchStrategy: "merge", patchMergeKey: "type", listType: "atomic" },
  },
  [`${CORE}.PodSpec`]: {
    volumes: { ...byName, patchStrategy: "merge,retainKeys" },
    initContainers: byName,
    containers: byName,
    ephemeralContainers: byName,
    imagePullSecrets: byName,
    tolerations: atomic,
  },
  [`${CORE}.PodSecurityContext`]: { supplementalGroups: atomic },
  [`${CORE}.Container`]: containerFields,
  [`${CORE}.EphemeralContainerCommon`]: containerFields,
  [`${CORE}.ExecAction`]: { command: atomic },
  [`${CORE}.HTTPGetAction`]: { httpHeaders: atomic },
  [`${CORE}.SecretVolumeSource`]: { items: atomic },
  [`${CORE}.ConfigMapVolumeSource`]: { items: atomic },
  [`${CORE}.DownwardAPIVolumeSource`]: { items: atomic },
  [`${CORE}.ProjectedVolumeSource`]: { sources: atomic },
  [`${CORE}.SecretProjection`]: { items: atomic },
  [`${CORE}.ConfigMapProjection`]: { items: atomic },
  [`${CORE}.DownwardAPIProjection`]: { items: atomic },
  [`${CORE}.PodStatus`]: {
    conditions: byType,
    podIPs: { patchStrategy: "merge", patchMergeKey: "ip", listType: "map", listMapKeys: ["ip"] },
    containerStatuses: atomic,
    initContainerStatuses: atomic,
    ephemeralContainerStatuses: atomic,
  },

  [`${RBAC}.PolicyRule`]: {
    verbs: atomic,
    apiGroups: atomic,
    resources: atomic,
    resourceNames: atomic,
    nonResourceURLs: atomic,
  },
  [`${RBAC}.Role`]: { rules: atomic },
  [`${RBAC}.ClusterRole`]: { rules: atomic },
  [`${RBAC}.AggregationRule`]: { clusterRoleSelectors: atomic },
  [`${RBAC}.RoleBinding`]: { subjects: atomic },
  [`${RBAC}.ClusterRoleBinding`]: { subjects: atomic },

  [`${AUTHN}.TokenRequestSpec`]: { audiences: atomic },
  [`${AUTHN}.TokenReviewSpec`]: { audiences: atomic },
  [`${AUTHN}.TokenReviewStatus`]: { audiences: atomic },
  [`${AUTHN}.UserInfo`]: { groups: atomic },

  [`${AUTHZ}.SubjectAccessReviewSpec`]: { groups: atomic },
  [`${AUTHZ}.SubjectRulesReviewStatus`]: { resourceRules: atomic, nonResourceRules: atomic },
  [`${AUTHZ}.ResourceRule`]: { verbs: atomic, apiGroups: atomic, resources: atomic, resourceNames: atomic },
  [`${AUTHZ}.NonResourceRule`]: { verbs: atomic, nonResourceURLs: atomic },
};

/** The markers of a field, by the type name of the message that declares it and its JSON name. */
export function fieldPatchMeta(typeName: string, jsonName: string): FieldPatchMeta | undefined {
  return patchMetaTable[typeName]?.[jsonName];
}

/** The strategies of a `patchStrategy` value (`merge,retainKeys` → both). */
export function patchStrategies(meta: FieldPatchMeta | undefined): { merge: boolean; retainKeys: boolean } {
  const parts = meta?.patchStrategy?.split(",") ?? [];
  return { merge: parts.includes("merge"), retainKeys: parts.includes("retainKeys") };
}
