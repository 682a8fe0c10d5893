/**
 * Aggregated discovery (`apidiscovery.k8s.io` `APIGroupDiscoveryList`, v2 and v2beta1 — the same
 * shape): every group-version with all its resources in one response, so kubectl needs two
 * requests (`/api`, `/apis`) instead of one per group-version.
 *
 * The shape follows Kubernetes' own output: the core group is one item with no name under `/api`;
 * `responseKind` leaves group and version empty when they are the resource's own (only
 * `serviceaccounts/token` names `authentication.k8s.io/v1 TokenRequest`); every version is
 * `freshness: Current`; items carry `metadata.creationTimestamp: null`, as Go serialises an empty
 * ObjectMeta.
 */
import type { JsonObject } from "@tokenplane/apimachinery";
import { resourcesOf, servedGroups } from "./api-groups.js";

/** Which aggregated discovery API version to write. */
export type AggregatedDiscoveryVersion = "v2" | "v2beta1";

/** `/api` lists the core group; `/apis` every named group. */
export type DiscoveryRoot = "api" | "apis";

function responseKind(group: string, version: string, kind: string, own: { group: string; version: string }) {
  const same = group === own.group && version === own.version;
  return { group: same ? "" : group, version: same ? "" : version, kind };
}

function versionDiscovery(group: string, version: string): JsonObject {
  const resources: JsonObject[] = resourcesOf(group, version).map((r) => {
    const own = { group, version };
    const out: JsonObject = {
      resource: r.resource,
      responseKind: responseKind(r.group, r.version, r.kind, own),
      scope: r.namespaced ? "Namespaced" : "Cluster",
      singularResource: r.singular,
      verbs: [...r.verbs],
    };
    if (r.shortNames.length > 0) out.shortNames = [...r.shortNames];
    if (r.categories.length > 0) out.categories = [...r.categories];
    if (r.subresources.length > 0) {
      out.subresources = [...r.subresources]
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .map((s) => ({
          subresource: s.name,
          responseKind: responseKind(s.group ?? group, s.version ?? version, s.kind, own),
          verbs: [...s.verbs],
        }));
    }
    return out;
  });
  return { version, resources, freshness: "Current" };
}

/** The `APIGroupDiscoveryList` for `/api` or `/apis` in the given apidiscovery version. */
export function aggregatedDiscovery(root: DiscoveryRoot, apiVersion: AggregatedDiscoveryVersion): JsonObject {
  const groups = servedGroups().filter((g) => (root === "api" ? g.name === "" : g.name !== ""));
  return {
    kind: "APIGroupDiscoveryList",
    apiVersion: `apidiscovery.k8s.io/${apiVersion}`,
    metadata: {},
    items: groups.map((g) => ({
      metadata: g.name ? { name: g.name, creationTimestamp: null } : { creationTimestamp: null },
      versions: g.versions.map((v) => versionDiscovery(g.name, v)),
    })),
  };
}
