/** When a pod's volumes must be written again because of the pod itself (not its sources). */
import type { corev1 } from "@tokenplane/proto";

/** True when labels or annotations changed (the downward API may show them). */
export function metadataChanged(a: corev1.Pod, b: corev1.Pod): boolean {
  const same = (x: Record<string, string> = {}, y: Record<string, string> = {}) => {
    const kx = Object.keys(x);
    return kx.length === Object.keys(y).length && kx.every((k) => x[k] === y[k]);
  };
  return (
    !same(a.metadata?.labels, b.metadata?.labels) || !same(a.metadata?.annotations, b.metadata?.annotations)
  );
}
