/**
 * Which discovery document `/api` and `/apis` answer with, from the request's Accept header.
 * kubectl 1.32 sends
 * `application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json`
 * and gets v2; kubectl 1.28 only knows v2beta1; client libraries send plain `application/json`
 * and get APIVersions / APIGroupList (kubectl-wire.md "Discovery").
 */
import { acceptsJsonAs, acceptsPlainJson, parseAccept } from "./accept.js";
import type { AggregatedDiscoveryVersion } from "./aggregated-discovery.js";

/** The discovery form to send and its exact Content-Type. */
export type DiscoveryChoice =
  | { form: AggregatedDiscoveryVersion; contentType: string }
  | { form: "legacy"; contentType: "application/json" };

/** The Content-Type of an aggregated discovery response. */
export function aggregatedContentType(version: AggregatedDiscoveryVersion): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}

/**
 * The first form the Accept header prefers that tokenplane serves (JSON only), or undefined
 * when none is acceptable (→ 406 Not Acceptable).
 */
export function negotiateDiscovery(acceptHeader: string | undefined): DiscoveryChoice | undefined {
  for (const r of parseAccept(acceptHeader)) {
    for (const v of ["v2", "v2beta1"] as const) {
      if (acceptsJsonAs(r, "APIGroupDiscoveryList", "apidiscovery.k8s.io", v)) {
        return { form: v, contentType: aggregatedContentType(v) };
      }
    }
    if (acceptsPlainJson(r)) return { form: "legacy", contentType: "application/json" };
  }
  return undefined;
}
