/**
 * The API groups and group-versions served, derived from the resource registry, in the order
 * Kubernetes lists them (the core group first, then groups by Kubernetes' group priority:
 * authentication 17800, authorization 17600, rbac 17000 — `pkg/controlplane/apiserver`).
 */
import { createHash } from "node:crypto";
import { type ResourceInfo, resources } from "@tokenplane/apimachinery";

/** Kubernetes' `groupPriorityMinimum` for the groups tokenplane serves; others sort after, by name. */
const groupPriority: Readonly<Record<string, number>> = {
  "": 18000,
  "authentication.k8s.io": 17800,
  "authorization.k8s.io": 17600,
  "rbac.authorization.k8s.io": 17000,
};

/** A group and its versions, preferred version first. */
export interface ApiGroupInfo {
  /** `""` for the core group. */
  name: string;
  versions: string[];
}

/** Every group served (core included), in Kubernetes' priority order. */
export function servedGroups(): ApiGroupInfo[] {
  const byGroup = new Map<string, string[]>();
  for (const r of resources) {
    const versions = byGroup.get(r.group) ?? [];
    if (!versions.includes(r.version)) versions.push(r.version);
    byGroup.set(r.group, versions);
  }
  return [...byGroup.entries()]
    .map(([name, versions]) => ({ name, versions }))
    .sort((a, b) => {
      const pa = groupPriority[a.name] ?? 0;
      const pb = groupPriority[b.name] ?? 0;
      return pa !== pb ? pb - pa : a.name.localeCompare(b.name);
    });
}

/** `group/version`, or the bare version for the core group. */
export function groupVersionString(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** The resources of a group-version, sorted by plural name as Kubernetes lists them. */
export function resourcesOf(group: string, version: string): ResourceInfo[] {
  return resources
    .filter((r) => r.group === group && r.version === version)
    .sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
}

/**
 * Kubernetes' `storageVersionHash` for a stored resource: base64 of the first 8 bytes of
 * sha256("<group>/<version>/<kind>") (`apiserver/pkg/endpoints/discovery.StorageVersionHash`).
 */
export function storageVersionHash(r: ResourceInfo): string | undefined {
  if (!r.objectCase) return undefined;
  return createHash("sha256")
    .update(`${r.group}/${r.version}/${r.kind}`)
    .digest()
    .subarray(0, 8)
    .toString("base64");
}
