/**
 * Where the simulator binds a pod that has no node (README "Scheduling"), pure: among the
 * simulated nodes that fit it — `spec.nodeSelector` matches the node's labels, every NoSchedule /
 * NoExecute taint is tolerated, fewer pods than the node's capacity — the one with the fewest
 * pods; ties go round-robin from a cursor, so equal nodes fill evenly. A simple, predictable
 * stand-in for kube-scheduler's LeastAllocated + balanced spreading.
 */
import type { corev1 } from "@tokenplane/proto";
import type { TaintSpec } from "../behaviour/behaviour.js";

/** A node as the spread sees it. */
export interface NodeCandidate {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly TaintSpec[];
  /** Pods bound to it now (including ones just bound and not yet seen back). */
  readonly pods: number;
  /** Its capacity in pods. */
  readonly maxPods: number;
}

/** `v1helper.TolerationsTolerateTaint`: some toleration matches key, value and effect. */
export function toleratesTaint(tolerations: readonly corev1.Toleration[], taint: TaintSpec): boolean {
  return tolerations.some((t) => {
    if (t.effect !== "" && t.effect !== taint.effect) return false;
    if (t.key === "" && t.operator === "Exists") return true;
    if (t.key !== taint.key) return false;
    return t.operator === "Exists" || t.value === taint.value;
  });
}

/** True when `pod` may run on `node` (node selector, taints, capacity). */
export function podFitsNode(pod: corev1.Pod, node: NodeCandidate): boolean {
  if (node.pods >= node.maxPods) return false;
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (node.labels[k] !== v) return false;
  const tolerations = pod.spec?.tolerations ?? [];
  for (const taint of node.taints) {
    if (taint.effect === "PreferNoSchedule") continue;
    if (!toleratesTaint(tolerations, taint)) return false;
  }
  return true;
}

/**
 * The node for `pod`: the fitting node with the fewest pods, ties broken by the first at or after
 * `cursor` (an index into `nodes`). Returns the index chosen (undefined when nothing fits) and the
 * next cursor.
 */
export function chooseNode(
  nodes: readonly NodeCandidate[],
  pod: corev1.Pod,
  cursor: number,
): { index: number | undefined; cursor: number } {
  const n = nodes.length;
  let best: number | undefined;
  for (let step = 0; step < n; step++) {
    const i = (cursor + step) % n;
    const node = nodes[i]!;
    if (best !== undefined && node.pods >= nodes[best]!.pods) continue;
    if (podFitsNode(pod, node)) best = i;
  }
  return { index: best, cursor: best === undefined ? cursor : (best + 1) % Math.max(1, n) };
}
