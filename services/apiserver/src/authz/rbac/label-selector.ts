/**
 * `metav1.LabelSelectorAsSelector` for the ClusterRole aggregation selectors: matchLabels become
 * `=` requirements, matchExpressions their operators. An empty selector selects everything.
 */
import type { LabelRequirement, LabelSelector } from "@tokenplane/apimachinery";
import type { metav1 } from "@tokenplane/proto";

/** The selector, or undefined when an operator is unknown (Kubernetes returns an error then). */
export function selectorFromMeta(sel: metav1.LabelSelector): LabelSelector | undefined {
  const requirements: LabelRequirement[] = [];
  for (const key of Object.keys(sel.matchLabels).sort()) {
    requirements.push({ key, operator: "=", values: [sel.matchLabels[key]!] });
  }
  for (const e of sel.matchExpressions) {
    switch (e.operator) {
      case "In":
        requirements.push({ key: e.key, operator: "in", values: [...e.values] });
        break;
      case "NotIn":
        requirements.push({ key: e.key, operator: "notin", values: [...e.values] });
        break;
      case "Exists":
        requirements.push({ key: e.key, operator: "exists", values: [] });
        break;
      case "DoesNotExist":
        requirements.push({ key: e.key, operator: "!", values: [] });
        break;
      default:
        return undefined;
    }
  }
  return { requirements };
}
