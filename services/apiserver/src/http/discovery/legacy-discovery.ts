/**
 * The unaggregated discovery documents (`meta/v1` APIVersions, APIGroupList, APIGroup,
 * APIResourceList), byte-for-byte in Kubernetes' field order. kubectl reads these when it does not
 * ask for aggregated discovery (or the server does not offer it), and client libraries read the
 * per-group-version lists.
 */
import type { JsonObject } from "@tokenplane/apimachinery";
import { groupVersionString, resourcesOf, servedGroups, storageVersionHash } from "./api-groups.js";

/** `GET /api`: the core group's versions, reachable at `serverAddress` (`host:port`) from any client. */
export function apiVersions(serverAddress: string): JsonObject {
  return {
    kind: "APIVersions",
    versions: servedGroups().find((g) => g.name === "")?.versions ?? [],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
  };
}

function apiGroupBody(name: string, versions: string[]): JsonObject {
  const gvs = versions.map((version) => ({ groupVersion: groupVersionString(name, version), version }));
  return { name, versions: gvs, preferredVersion: gvs[0] ?? null };
}

/** `GET /apis`: every named group with its versions and preferred version. */
export function apiGroupList(): JsonObject {
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: servedGroups()
      .filter((g) => g.name !== "")
      .map((g) => apiGroupBody(g.name, g.versions)),
  };
}

/** `GET /apis/<group>`, or undefined when the group is not served (→ 404). */
export function apiGroup(group: string): JsonObject | undefined {
  const g = servedGroups().find((x) => x.name === group && x.name !== "");
  if (!g) return undefined;
  return { kind: "APIGroup", apiVersion: "v1", ...apiGroupBody(g.name, g.versions) };
}

/**
 * `GET /api/v1` or `GET /apis/<group>/<version>`: every resource and subresource with its names,
 * scope, kind, verbs, short names, categories and storage version hash; undefined when the
 * group-version is not served (→ 404). The core list has no `apiVersion`, as in Kubernetes.
 */
export function apiResourceList(group: string, version: string): JsonObject | undefined {
  const rs = resourcesOf(group, version);
  if (rs.length === 0) return undefined;
  const list: JsonObject[] = [];
  for (const r of rs) {
    const entry: JsonObject = {
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: [...r.verbs],
    };
    if (r.shortNames.length > 0) entry.shortNames = [...r.shortNames];
    if (r.categories.length > 0) entry.categories = [...r.categories];
    const hash = storageVersionHash(r);
    if (hash) entry.storageVersionHash = hash;
    list.push(entry);
    for (const s of [...r.subresources].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const sub: JsonObject = { name: `${r.resource}/${s.name}`, singularName: "", namespaced: r.namespaced };
      if (s.group !== undefined && s.version !== undefined && (s.group !== group || s.version !== version)) {
        sub.group = s.group;
        sub.version = s.version;
      }
      sub.kind = s.kind;
      sub.verbs = [...s.verbs];
      list.push(sub);
    }
  }
  const groupVersion = groupVersionString(group, version);
  return group
    ? { kind: "APIResourceList", apiVersion: "v1", groupVersion, resources: list }
    : { kind: "APIResourceList", groupVersion, resources: list };
}
