/**
 * The cells of one row per kind, in the order of `columns.ts` — always including the `-o wide`
 * cells, as kube-apiserver's table convertor generates with `Wide: true`. Ports of the printers in
 * `pkg/printers/internalversion/printers.go` (Kubernetes 1.32).
 */
import { msFromTime, type ResourceInfo, type StoredObject } from "@tokenplane/apimachinery";
import type { corev1, rbacv1 } from "@tokenplane/proto";
import { hasPrinter } from "./columns.js";
import { translateTimestampSince } from "./human-duration.js";
import { podStatusCells, type RowCondition } from "./pod-status.js";

/** A cell value as JSON: strings, and int64 counts as numbers. */
export type Cell = string | number;

/** The cells of a row and its conditions, if any. */
export interface PrintedRow {
  cells: Cell[];
  conditions?: RowCondition[];
}

const LABEL_NODE_ROLE_PREFIX = "node-role.kubernetes.io/";
const NODE_LABEL_ROLE = "kubernetes.io/role";

/** Go's `time.Time.UTC().Format(time.RFC3339)`; the zero time for a missing timestamp. */
function rfc3339(ms: number | undefined): string {
  if (ms === undefined) return "0001-01-01T00:00:00Z";
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The row of an object of `info` at `now` (ms since the epoch). */
export function printRow(info: ResourceInfo, object: StoredObject, now: number): PrintedRow {
  const meta = object.metadata;
  const name = meta?.name ?? "";
  const age = translateTimestampSince(msFromTime(meta?.creationTimestamp), now);
  if (!hasPrinter(info.group, info.resource)) {
    return { cells: [name, rfc3339(msFromTime(meta?.creationTimestamp))] };
  }
  switch (info.objectCase) {
    case "pod":
      return printPod(object as corev1.Pod, now);
    case "node":
      return printNode(object as corev1.Node, age);
    case "namespace":
      return { cells: [name, (object as corev1.Namespace).status?.phase ?? "", age] };
    case "secret": {
      const s = object as corev1.Secret;
      return { cells: [name, s.type, Object.keys(s.data).length, age] };
    }
    case "configMap": {
      const c = object as corev1.ConfigMap;
      return { cells: [name, Object.keys(c.data).length + Object.keys(c.binaryData).length, age] };
    }
    case "serviceAccount":
      return { cells: [name, (object as corev1.ServiceAccount).secrets.length, age] };
    case "roleBinding":
    case "clusterRoleBinding":
      return printBinding(object as rbacv1.RoleBinding | rbacv1.ClusterRoleBinding, age);
    default:
      return { cells: [name, rfc3339(msFromTime(meta?.creationTimestamp))] };
  }
}

function printPod(pod: corev1.Pod, now: number): PrintedRow {
  const s = podStatusCells(pod, now);
  const age = translateTimestampSince(msFromTime(pod.metadata?.creationTimestamp), now);
  const podIP = pod.status?.podIPs[0]?.ip || "<none>";
  const nodeName = pod.spec?.nodeName || "<none>";
  // nominatedNodeName and readinessGates are not modelled: always "<none>".
  const row: PrintedRow = {
    cells: [
      pod.metadata?.name ?? "",
      s.ready,
      s.status,
      s.restarts,
      age,
      podIP,
      nodeName,
      "<none>",
      "<none>",
    ],
  };
  if (s.conditions) row.conditions = s.conditions;
  return row;
}

function printNode(node: corev1.Node, age: string): PrintedRow {
  const status: string[] = [];
  const ready = node.status?.conditions.find((c) => c.type === "Ready");
  if (ready) status.push(ready.status === "True" ? "Ready" : "NotReady");
  if (status.length === 0) status.push("Unknown");
  if (node.spec?.unschedulable) status.push("SchedulingDisabled");

  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith(LABEL_NODE_ROLE_PREFIX)) {
      const role = k.slice(LABEL_NODE_ROLE_PREFIX.length);
      if (role) roles.add(role);
    } else if (k === NODE_LABEL_ROLE && v !== "") {
      roles.add(v);
    }
  }
  const info = node.status?.nodeInfo;
  const address = (type: string) => node.status?.addresses.find((a) => a.type === type)?.address ?? "<none>";
  return {
    cells: [
      node.metadata?.name ?? "",
      status.join(","),
      roles.size > 0 ? [...roles].sort().join(",") : "<none>",
      age,
      info?.kubeletVersion ?? "",
      address("InternalIP"),
      address("ExternalIP"),
      info?.osImage || "<unknown>",
      info?.kernelVersion || "<unknown>",
      info?.containerRuntimeVersion || "<unknown>",
    ],
  };
}

/** `rbac.SubjectsStrings`: users, groups and `namespace/name` of service accounts. */
function printBinding(b: rbacv1.RoleBinding | rbacv1.ClusterRoleBinding, age: string): PrintedRow {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of b.subjects) {
    if (s.kind === "ServiceAccount") sas.push(`${s.namespace}/${s.name}`);
    else if (s.kind === "User") users.push(s.name);
    else if (s.kind === "Group") groups.push(s.name);
  }
  return {
    cells: [
      b.metadata?.name ?? "",
      `${b.roleRef?.kind ?? ""}/${b.roleRef?.name ?? ""}`,
      age,
      users.join(", "),
      groups.join(", "),
      sas.join(", "),
    ],
  };
}
