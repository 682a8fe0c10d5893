/**
 * Downward API values as the kubelet writes them into volumes (pkg/fieldpath ExtractFieldPathAsString,
 * FormatMap; pkg/volume/downwardapi CollectData). Pure.
 */
import { goQuote } from "@tokenplane/apimachinery";
import type { corev1 } from "@tokenplane/proto";

/** `fieldpath.FormatMap`: `key="value"` lines (Go `%q`), keys sorted, no trailing newline. */
export function formatMap(m: Readonly<Record<string, string>>): string {
  return Object.keys(m)
    .sort()
    .map((k) => `${k}=${goQuote(m[k] ?? "")}`)
    .join("\n");
}

/** `SplitMaybeSubscriptedPath`: `metadata.labels['app']` → `["metadata.labels", "app"]`. */
export function splitSubscript(fieldPath: string): { path: string; subscript?: string } {
  const m = /^([^[]+)\['(.*)'\]$/.exec(fieldPath);
  return m === null ? { path: fieldPath } : { path: m[1]!, subscript: m[2]! };
}

/**
 * The value of a `fieldRef` for a pod, or `{ error }` with the kubelet's text
 * (`unsupported fieldPath: <path>`).
 */
export function fieldRefValue(pod: corev1.Pod, fieldPath: string): { value: string } | { error: string } {
  const meta = pod.metadata;
  const { path, subscript } = splitSubscript(fieldPath);
  if (subscript !== undefined) {
    if (path === "metadata.labels") return { value: meta?.labels[subscript] ?? "" };
    if (path === "metadata.annotations") return { value: meta?.annotations[subscript] ?? "" };
    return { error: `unsupported fieldPath: ${fieldPath}` };
  }
  switch (path) {
    case "metadata.annotations":
      return { value: formatMap(meta?.annotations ?? {}) };
    case "metadata.labels":
      return { value: formatMap(meta?.labels ?? {}) };
    case "metadata.name":
      return { value: meta?.name ?? "" };
    case "metadata.namespace":
      return { value: meta?.namespace ?? "" };
    case "metadata.uid":
      return { value: meta?.uid ?? "" };
    case "spec.nodeName":
      return { value: pod.spec?.nodeName ?? "" };
    case "spec.serviceAccountName":
      return { value: pod.spec?.serviceAccountName ?? "" };
    case "status.hostIP":
      return { value: pod.status?.hostIP ?? "" };
    case "status.podIP":
      return { value: pod.status?.podIP ?? "" };
    case "status.podIPs":
      return { value: (pod.status?.podIPs ?? []).map((p) => p.ip).join(",") };
    default:
      return { error: `unsupported fieldPath: ${fieldPath}` };
  }
}

/**
 * The value of a `resourceFieldRef`: the container's quantity as written in its spec (`limits.*`
 * falls back to the node's allocatable, as the kubelet defaults limits), without the divisor
 * conversion the kubelet applies (README "Limits").
 */
export function resourceFieldRefValue(
  pod: corev1.Pod,
  ref: corev1.ResourceFieldSelector,
  nodeAllocatable: Readonly<Record<string, string>>,
): { value: string } | { error: string } {
  const container = ref.containerName
    ? pod.spec?.containers.find((c) => c.name === ref.containerName)
    : pod.spec?.containers[0];
  if (container === undefined) return { error: `container ${ref.containerName} not found` };
  const [kind, resource] = ref.resource.split(".", 2) as [string, string | undefined];
  if (resource === undefined || (kind !== "limits" && kind !== "requests")) {
    return { error: `unsupported container resource : ${ref.resource}` };
  }
  const r = container.resources;
  const own = kind === "limits" ? r?.limits[resource] : (r?.requests[resource] ?? r?.limits[resource]);
  return { value: own?.string ?? nodeAllocatable[resource] ?? "0" };
}
