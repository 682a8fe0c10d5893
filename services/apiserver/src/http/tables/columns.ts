/**
 * The server-side printer columns of each kind, as kube-apiserver's printers declare them
 * (`pkg/printers/internalversion/printers.go`, Kubernetes 1.32), and the default convertor's
 * `NAME CREATED AT` for kinds without a printer (roles, clusterroles). Priority-1 columns are the
 * `-o wide` ones: the server always sends them and kubectl hides them unless asked.
 *
 * Descriptions come from the OpenAPI field descriptions (one text per field).
 */
import { fieldDocs } from "../openapi/field-docs.js";

/** A `meta.k8s.io/v1` TableColumnDefinition (every member is always written, as in Go). */
export interface ColumnDefinition {
  name: string;
  /** OpenAPI type of the cells: `string`, `integer`, `date`, ... */
  type: string;
  /** `name` for the NAME column, else empty. */
  format: string;
  description: string;
  /** 0 shown by default, 1 only with `-o wide`. */
  priority: number;
}

const META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
const doc = (definition: string, field: string): string => fieldDocs[definition]?.[field] ?? "";

const col = (name: string, description: string, extra: Partial<ColumnDefinition> = {}): ColumnDefinition => ({
  name,
  type: "string",
  format: "",
  description,
  priority: 0,
  ...extra,
});

const NAME = col("Name", doc(META, "name"), { format: "name" });
const AGE = col("Age", doc(META, "creationTimestamp"));
const wide = { priority: 1 };

/** Columns by resource (plural name, group); the default convertor's for any other resource. */
const byResource: Readonly<Record<string, readonly ColumnDefinition[]>> = {
  "/pods": [
    NAME,
    col("Ready", "The aggregate readiness state of this pod for accepting traffic."),
    col("Status", "The aggregate status of the containers in this pod."),
    col(
      "Restarts",
      "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
    ),
    AGE,
    col("IP", doc("io.k8s.api.core.v1.PodStatus", "podIP"), wide),
    col("Node", doc("io.k8s.api.core.v1.PodSpec", "nodeName"), wide),
    col(
      "Nominated Node",
      "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.",
      wide,
    ),
    col(
      "Readiness Gates",
      'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates',
      wide,
    ),
  ],
  "/nodes": [
    NAME,
    col("Status", "The status of the node"),
    col("Roles", "The roles of the node"),
    AGE,
    col("Version", doc("io.k8s.api.core.v1.NodeSystemInfo", "kubeletVersion")),
    col("Internal-IP", doc("io.k8s.api.core.v1.NodeStatus", "addresses"), wide),
    col("External-IP", doc("io.k8s.api.core.v1.NodeStatus", "addresses"), wide),
    col("OS-Image", doc("io.k8s.api.core.v1.NodeSystemInfo", "osImage"), wide),
    col("Kernel-Version", doc("io.k8s.api.core.v1.NodeSystemInfo", "kernelVersion"), wide),
    col("Container-Runtime", doc("io.k8s.api.core.v1.NodeSystemInfo", "containerRuntimeVersion"), wide),
  ],
  "/namespaces": [NAME, col("Status", "The status of the namespace"), AGE],
  "/secrets": [
    NAME,
    col("Type", doc("io.k8s.api.core.v1.Secret", "type")),
    col("Data", doc("io.k8s.api.core.v1.Secret", "data")),
    AGE,
  ],
  "/serviceaccounts": [NAME, col("Secrets", doc("io.k8s.api.core.v1.ServiceAccount", "secrets")), AGE],
  "/configmaps": [NAME, col("Data", doc("io.k8s.api.core.v1.ConfigMap", "data")), AGE],
  "rbac.authorization.k8s.io/rolebindings": [
    NAME,
    col("Role", doc("io.k8s.api.rbac.v1.RoleBinding", "roleRef")),
    AGE,
    col("Users", "Users in the roleBinding", wide),
    col("Groups", "Groups in the roleBinding", wide),
    col("ServiceAccounts", "ServiceAccounts in the roleBinding", wide),
  ],
  "rbac.authorization.k8s.io/clusterrolebindings": [
    NAME,
    col("Role", doc("io.k8s.api.rbac.v1.ClusterRoleBinding", "roleRef")),
    AGE,
    col("Users", "Users in the clusterRoleBinding", wide),
    col("Groups", "Groups in the clusterRoleBinding", wide),
    col("ServiceAccounts", "ServiceAccounts in the clusterRoleBinding", wide),
  ],
};

/** `rest.NewDefaultTableConvertor`: name and creation time (RFC 3339, type date). */
export const defaultColumns: readonly ColumnDefinition[] = [
  NAME,
  col("Created At", doc(META, "creationTimestamp"), { type: "date" }),
];

/** The columns of a resource. */
export function columnsFor(group: string, resource: string): readonly ColumnDefinition[] {
  return byResource[`${group}/${resource}`] ?? defaultColumns;
}

/** True when the resource has a printer of its own (false: the default convertor). */
export function hasPrinter(group: string, resource: string): boolean {
  return `${group}/${resource}` in byResource;
}
