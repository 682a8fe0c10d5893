/**
 * Whether one set of policy rules covers another, for the escalation check: Kubernetes'
 * `Covers`, `BreakdownRule`, `ruleCovers` (pkg/registry/rbac/validation/policy_comparator.go),
 * `CompactRules` (policy_compact.go) and `CompactString` (pkg/apis/rbac/v1/evaluation_helpers.go).
 * Pure.
 */
import { goQuoteSlice } from "@tokenplane/apimachinery";
import { matchAll, type PolicyRuleLike, trimRightStars } from "./rule-matching.js";

/** A plain policy rule (the comparator builds many small ones). */
export interface PlainRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

const plain = (r: Partial<PlainRule>): PlainRule => ({
  verbs: r.verbs ?? [],
  apiGroups: r.apiGroups ?? [],
  resources: r.resources ?? [],
  resourceNames: r.resourceNames ?? [],
  nonResourceURLs: r.nonResourceURLs ?? [],
});

/**
 * `BreakdownRule`: one rule per (group, resource, verb[, name]) and per (URL, verb), in that
 * loop order, so that each piece is either wholly covered by one owner rule or not at all.
 */
export function breakdownRule(rule: PolicyRuleLike): PlainRule[] {
  const out: PlainRule[] = [];
  for (const group of rule.apiGroups) {
    for (const resource of rule.resources) {
      for (const verb of rule.verbs) {
        if (rule.resourceNames.length > 0) {
          for (const name of rule.resourceNames) {
            out.push(
              plain({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name] }),
            );
          }
        } else {
          out.push(plain({ apiGroups: [group], resources: [resource], verbs: [verb] }));
        }
      }
    }
  }
  for (const url of rule.nonResourceURLs) {
    for (const verb of rule.verbs) out.push(plain({ nonResourceURLs: [url], verbs: [verb] }));
  }
  return out;
}

function has(set: readonly string[], e: string): boolean {
  return set.includes(e);
}

function hasAll(set: readonly string[], contains: readonly string[]): boolean {
  return contains.every((e) => set.includes(e));
}

/** `resourceCoversAll`: `*`, exact names, or `*\/sub` for each `resource/sub`. */
function resourceCoversAll(setResources: readonly string[], coversResources: readonly string[]): boolean {
  if (has(setResources, matchAll) || hasAll(setResources, coversResources)) return true;
  for (const path of coversResources) {
    if (has(setResources, path)) continue;
    const slash = path.indexOf("/");
    if (slash < 0) return false;
    if (!has(setResources, `*/${path.slice(slash + 1)}`)) return false;
  }
  return true;
}

/** `nonResourceURLCovers`: equal, or the owner ends in `*` and is a prefix. */
function nonResourceURLCovers(ownerPath: string, subPath: string): boolean {
  if (ownerPath === subPath) return true;
  return ownerPath.endsWith("*") && subPath.startsWith(trimRightStars(ownerPath));
}

function nonResourceURLsCoversAll(set: readonly string[], covers: readonly string[]): boolean {
  return covers.every((path) => set.some((owner) => nonResourceURLCovers(owner, path)));
}

/** `ruleCovers`: the owner rule grants everything the (broken-down) sub-rule grants. */
export function ruleCovers(owner: PolicyRuleLike, sub: PolicyRuleLike): boolean {
  const verbMatches = has(owner.verbs, matchAll) || hasAll(owner.verbs, sub.verbs);
  const groupMatches = has(owner.apiGroups, matchAll) || hasAll(owner.apiGroups, sub.apiGroups);
  const resourceMatches = resourceCoversAll(owner.resources, sub.resources);
  const nonResourceURLMatches = nonResourceURLsCoversAll(owner.nonResourceURLs, sub.nonResourceURLs);
  const resourceNameMatches =
    sub.resourceNames.length === 0
      ? owner.resourceNames.length === 0
      : owner.resourceNames.length === 0 || hasAll(owner.resourceNames, sub.resourceNames);
  return verbMatches && groupMatches && resourceMatches && resourceNameMatches && nonResourceURLMatches;
}

/** `Covers`: whether `ownerRules` grant all of `servantRules`, and the broken-down pieces they miss. */
export function covers(
  ownerRules: readonly PolicyRuleLike[],
  servantRules: readonly PolicyRuleLike[],
): { covered: boolean; missing: PlainRule[] } {
  const missing: PlainRule[] = [];
  for (const servant of servantRules) {
    for (const sub of breakdownRule(servant)) {
      if (!ownerRules.some((o) => ruleCovers(o, sub))) missing.push(sub);
    }
  }
  return { covered: missing.length === 0, missing };
}

/**
 * `CompactRules`: rules with one group, one resource, at most one name and nothing else that
 * differ only by verb are merged (verbs in order of appearance); others are kept as they are.
 */
export function compactRules(rules: readonly PlainRule[]): PlainRule[] {
  const compacted: PlainRule[] = [];
  const simple = new Map<string, PlainRule>();
  for (const r of rules) {
    const isSimple =
      r.resourceNames.length <= 1 &&
      r.nonResourceURLs.length === 0 &&
      r.apiGroups.length === 1 &&
      r.resources.length === 1;
    if (!isSimple) {
      compacted.push(r);
      continue;
    }
    const key = JSON.stringify([
      r.apiGroups[0],
      r.resources[0],
      r.resourceNames.length > 0,
      r.resourceNames[0] ?? "",
    ]);
    const existing = simple.get(key);
    if (existing) existing.verbs.push(...r.verbs);
    else simple.set(key, { ...r, verbs: [...r.verbs] });
  }
  compacted.push(...simple.values());
  return compacted;
}

/**
 * `CompactString`: `{APIGroups:[""], Resources:["pods"], Verbs:["get"]}` — only the non-empty
 * fields, in the order APIGroups, Resources, NonResourceURLs, ResourceNames, Verbs, each as Go's
 * `%q` of a string slice.
 */
export function compactString(r: PolicyRuleLike): string {
  const parts: string[] = [];
  if (r.apiGroups.length) parts.push(`APIGroups:${goQuoteSlice(r.apiGroups)}`);
  if (r.resources.length) parts.push(`Resources:${goQuoteSlice(r.resources)}`);
  if (r.nonResourceURLs.length) parts.push(`NonResourceURLs:${goQuoteSlice(r.nonResourceURLs)}`);
  if (r.resourceNames.length) parts.push(`ResourceNames:${goQuoteSlice(r.resourceNames)}`);
  if (r.verbs.length) parts.push(`Verbs:${goQuoteSlice(r.verbs)}`);
  return `{${parts.join(", ")}}`;
}
