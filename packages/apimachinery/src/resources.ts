/**
 * The resource registry: every kind tokenplane serves, with the names, scope, verbs, short names
 * and categories Kubernetes' discovery lists for it, its protobuf schemas, and how it sits in the
 * `KubeObject` envelope. Storage, gRPC, events, discovery and the HTTPS API all read this table,
 * so a kind is described once.
 */
import { create, type DescMessage, type Message } from "@bufbuild/protobuf";
import { authnv1, authzv1, corev1, metav1, rbacv1, tokenplanev1 } from "@tokenplane/proto";
import { type JsonObject, toK8sJson } from "./k8s-json.js";

/** The `KubeObject` oneof cases, i.e. the kinds that are stored. */
export type ObjectCase = NonNullable<tokenplanev1.KubeObject["object"]["case"]>;

/** Any stored object: they all carry `metadata`. */
export type StoredObject = Extract<tokenplanev1.KubeObject["object"], { case: ObjectCase }>["value"];

export interface ResourceInfo {
  group: string;
  version: string;
  /** `group/version`, or `v1` for the core group. */
  apiVersion: string;
  kind: string;
  /** Plural resource name used in URLs and RBAC (`serviceaccounts`). */
  resource: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  schema: DescMessage;
  /** List kind schema, for stored kinds. */
  listSchema?: DescMessage;
  /** The `KubeObject` case, for stored kinds. */
  objectCase?: ObjectCase;
  /** Subresources with their kind and verbs, as discovery lists them. */
  subresources: { name: string; kind: string; group?: string; version?: string; verbs: string[] }[];
  /** Fields a field selector may use, besides metadata.name / metadata.namespace. */
  selectableFields: string[];
}

const allVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const statusVerbs = ["get", "patch", "update"];

function info(
  r: Omit<ResourceInfo, "apiVersion" | "shortNames" | "categories" | "subresources" | "selectableFields"> &
    Partial<Pick<ResourceInfo, "shortNames" | "categories" | "subresources" | "selectableFields">>,
): ResourceInfo {
  return {
    shortNames: [],
    categories: [],
    subresources: [],
    selectableFields: [],
    ...r,
    apiVersion: r.group ? `${r.group}/${r.version}` : r.version,
  };
}

/** Every resource served, in discovery order. */
export const resources: readonly ResourceInfo[] = [
  info({
    group: "",
    version: "v1",
    kind: "Namespace",
    resource: "namespaces",
    singular: "namespace",
    namespaced: false,
    shortNames: ["ns"],
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
    schema: corev1.NamespaceSchema,
    listSchema: corev1.NamespaceListSchema,
    objectCase: "namespace",
    subresources: [
      { name: "finalize", kind: "Namespace", verbs: ["update"] },
      { name: "status", kind: "Namespace", verbs: statusVerbs },
    ],
    selectableFields: ["status.phase"],
  }),
  info({
    group: "",
    version: "v1",
    kind: "ServiceAccount",
    resource: "serviceaccounts",
    singular: "serviceaccount",
    namespaced: true,
    shortNames: ["sa"],
    verbs: allVerbs,
    schema: corev1.ServiceAccountSchema,
    listSchema: corev1.ServiceAccountListSchema,
    objectCase: "serviceAccount",
    subresources: [
      {
        name: "token",
        kind: "TokenRequest",
        group: "authentication.k8s.io",
        version: "v1",
        verbs: ["create"],
      },
    ],
  }),
  info({
    group: "",
    version: "v1",
    kind: "Secret",
    resource: "secrets",
    singular: "secret",
    namespaced: true,
    verbs: allVerbs,
    schema: corev1.SecretSchema,
    listSchema: corev1.SecretListSchema,
    objectCase: "secret",
    selectableFields: ["type"],
  }),
  info({
    group: "",
    version: "v1",
    kind: "ConfigMap",
    resource: "configmaps",
    singular: "configmap",
    namespaced: true,
    shortNames: ["cm"],
    verbs: allVerbs,
    schema: corev1.ConfigMapSchema,
    listSchema: corev1.ConfigMapListSchema,
    objectCase: "configMap",
  }),
  info({
    group: "",
    version: "v1",
    kind: "Pod",
    resource: "pods",
    singular: "pod",
    namespaced: true,
    shortNames: ["po"],
    categories: ["all"],
    verbs: allVerbs,
    schema: corev1.PodSchema,
    listSchema: corev1.PodListSchema,
    objectCase: "pod",
    subresources: [
      { name: "binding", kind: "Binding", verbs: ["create"] },
      { name: "ephemeralcontainers", kind: "Pod", verbs: statusVerbs },
      { name: "status", kind: "Pod", verbs: statusVerbs },
    ],
    selectableFields: [
      "spec.nodeName",
      "spec.restartPolicy",
      "spec.schedulerName",
      "spec.serviceAccountName",
      "spec.hostNetwork",
      "status.phase",
      "status.podIP",
      "status.nominatedNodeName",
    ],
  }),
  info({
    group: "",
    version: "v1",
    kind: "Node",
    resource: "nodes",
    singular: "node",
    namespaced: false,
    shortNames: ["no"],
    verbs: allVerbs,
    schema: corev1.NodeSchema,
    listSchema: corev1.NodeListSchema,
    objectCase: "node",
    subresources: [{ name: "status", kind: "Node", verbs: statusVerbs }],
    selectableFields: ["spec.unschedulable"],
  }),
  info({
    group: "rbac.authorization.k8s.io",
    version: "v1",
    kind: "ClusterRoleBinding",
    resource: "clusterrolebindings",
    singular: "clusterrolebinding",
    namespaced: false,
    verbs: allVerbs,
    schema: rbacv1.ClusterRoleBindingSchema,
    listSchema: rbacv1.ClusterRoleBindingListSchema,
    objectCase: "clusterRoleBinding",
  }),
  info({
    group: "rbac.authorization.k8s.io",
    version: "v1",
    kind: "ClusterRole",
    resource: "clusterroles",
    singular: "clusterrole",
    namespaced: false,
    verbs: allVerbs,
    schema: rbacv1.ClusterRoleSchema,
    listSchema: rbacv1.ClusterRoleListSchema,
    objectCase: "clusterRole",
  }),
  info({
    group: "rbac.authorization.k8s.io",
    version: "v1",
    kind: "RoleBinding",
    resource: "rolebindings",
    singular: "rolebinding",
    namespaced: true,
    verbs: allVerbs,
    schema: rbacv1.RoleBindingSchema,
    listSchema: rbacv1.RoleBindingListSchema,
    objectCase: "roleBinding",
  }),
  info({
    group: "rbac.authorization.k8s.io",
    version: "v1",
    kind: "Role",
    resource: "roles",
    singular: "role",
    namespaced: true,
    verbs: allVerbs,
    schema: rbacv1.RoleSchema,
    listSchema: rbacv1.RoleListSchema,
    objectCase: "role",
  }),
  info({
    group: "authentication.k8s.io",
    version: "v1",
    kind: "SelfSubjectReview",
    resource: "selfsubjectreviews",
    singular: "selfsubjectreview",
    namespaced: false,
    verbs: ["create"],
    schema: authnv1.SelfSubjectReviewSchema,
  }),
  info({
    group: "authentication.k8s.io",
    version: "v1",
    kind: "TokenReview",
    resource: "tokenreviews",
    singular: "tokenreview",
    namespaced: false,
    verbs: ["create"],
    schema: authnv1.TokenReviewSchema,
  }),
  info({
    group: "authorization.k8s.io",
    version: "v1",
    kind: "LocalSubjectAccessReview",
    resource: "localsubjectaccessreviews",
    singular: "localsubjectaccessreview",
    namespaced: true,
    verbs: ["create"],
    schema: authzv1.SubjectAccessReviewSchema,
  }),
  info({
    group: "authorization.k8s.io",
    version: "v1",
    kind: "SelfSubjectAccessReview",
    resource: "selfsubjectaccessreviews",
    singular: "selfsubjectaccessreview",
    namespaced: false,
    verbs: ["create"],
    schema: authzv1.SelfSubjectAccessReviewSchema,
  }),
  info({
    group: "authorization.k8s.io",
    version: "v1",
    kind: "SelfSubjectRulesReview",
    resource: "selfsubjectrulesreviews",
    singular: "selfsubjectrulesreview",
    namespaced: false,
    verbs: ["create"],
    schema: authzv1.SelfSubjectRulesReviewSchema,
  }),
  info({
    group: "authorization.k8s.io",
    version: "v1",
    kind: "SubjectAccessReview",
    resource: "subjectaccessreviews",
    singular: "subjectaccessreview",
    namespaced: false,
    verbs: ["create"],
    schema: authzv1.SubjectAccessReviewSchema,
  }),
];

/** The TokenRequest kind (the `serviceaccounts/token` subresource); not a resource of its own. */
export const tokenRequestKind = {
  group: "authentication.k8s.io",
  version: "v1",
  apiVersion: "authentication.k8s.io/v1",
  kind: "TokenRequest",
  schema: authnv1.TokenRequestSchema,
} as const;

/** The Binding kind (the `pods/binding` subresource a scheduler posts); not a resource of its own. */
export const bindingKind = {
  group: "",
  version: "v1",
  apiVersion: "v1",
  kind: "Binding",
  schema: corev1.BindingSchema,
} as const;

/** Kinds that exist only as the body of a subresource. */
export const subresourceOnlyKinds = [tokenRequestKind, bindingKind] as const;

const byGroupResource = new Map(resources.map((r) => [`${r.group}/${r.resource}`, r]));
const byApiVersionKind = new Map(resources.map((r) => [`${r.apiVersion}/${r.kind}`, r]));
const byCase = new Map(resources.filter((r) => r.objectCase).map((r) => [r.objectCase!, r]));

/** The resource for a group and plural name, if served. */
export function resourceFor(group: string, resource: string): ResourceInfo | undefined {
  return byGroupResource.get(`${group}/${resource}`);
}

/** The resource for an apiVersion and kind, if served. */
export function resourceForKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return byApiVersionKind.get(`${apiVersion}/${kind}`);
}

/** The stored resources (those with a KubeObject case). */
export const storedResources: readonly ResourceInfo[] = resources.filter((r) => r.objectCase);

/** The resource of a stored object's envelope case. */
export function resourceForCase(c: ObjectCase): ResourceInfo {
  return byCase.get(c)!;
}

/** A stored object with its resource. */
export interface TypedObject {
  info: ResourceInfo;
  object: StoredObject;
}

/** Unwraps an envelope; throws TypeError for an empty one (a programming error). */
export function unwrap(obj: tokenplanev1.KubeObject): TypedObject {
  const c = obj.object.case;
  if (c === undefined) throw new TypeError("empty KubeObject envelope");
  return { info: resourceForCase(c), object: obj.object.value as StoredObject };
}

/** Wraps a stored object into the envelope of its resource. */
export function wrap(info: ResourceInfo, object: Message): tokenplanev1.KubeObject {
  if (!info.objectCase) throw new TypeError(`${info.resource} is not a stored resource`);
  return create(tokenplanev1.KubeObjectSchema, {
    object: { case: info.objectCase, value: object },
  } as never);
}

/** The metadata of a stored object, created empty when missing so callers can write to it. */
export function metadataOf(object: StoredObject): metav1.ObjectMeta {
  if (!object.metadata)
    (object as { metadata?: metav1.ObjectMeta }).metadata = create(metav1.ObjectMetaSchema);
  return object.metadata!;
}

/**
 * The values field selectors match against: `metadata.name`, `metadata.namespace` and the
 * resource's selectable fields (reference: the field label conversion funcs of each kind).
 */
export function selectableFieldValues(info: ResourceInfo, object: StoredObject): Record<string, string> {
  const m = object.metadata;
  const out: Record<string, string> = { "metadata.name": m?.name ?? "" };
  if (info.namespaced) out["metadata.namespace"] = m?.namespace ?? "";
  switch (info.objectCase) {
    case "pod": {
      const p = object as corev1.Pod;
      out["spec.nodeName"] = p.spec?.nodeName ?? "";
      out["spec.restartPolicy"] = p.spec?.restartPolicy ?? "";
      out["spec.schedulerName"] = p.spec?.schedulerName ?? "";
      out["spec.serviceAccountName"] = p.spec?.serviceAccountName ?? "";
      out["spec.hostNetwork"] = String(p.spec?.hostNetwork ?? false);
      out["status.phase"] = p.status?.phase ?? "";
      out["status.podIP"] = p.status?.podIP ?? "";
      out["status.nominatedNodeName"] = "";
      break;
    }
    case "secret":
      out.type = (object as corev1.Secret).type;
      break;
    case "namespace":
      out["status.phase"] = (object as corev1.Namespace).status?.phase ?? "";
      break;
    case "node":
      out["spec.unschedulable"] = String((object as corev1.Node).spec?.unschedulable ?? false);
      break;
  }
  return out;
}

/** An object as Kubernetes JSON, `apiVersion` and `kind` first. */
export function objectToJson(
  info: Pick<ResourceInfo, "apiVersion" | "kind" | "schema">,
  object: Message,
): JsonObject {
  return { apiVersion: info.apiVersion, kind: info.kind, ...toK8sJson(info.schema, object) };
}
