/**
 * Discovery documents of the Kubernetes API, built from the resource registry
 * (`@tokenplane/apimachinery` `resources`). Pure: the HTTP layer picks the form with
 * `negotiateDiscovery(accept)` and writes the body with the returned Content-Type.
 *
 * | path                      | legacy (`application/json`) | aggregated (`as=APIGroupDiscoveryList`) |
 * |---------------------------|-----------------------------|-----------------------------------------|
 * | `/api`                    | `apiVersions(host:port)`    | `aggregatedDiscovery("api", v)`         |
 * | `/apis`                   | `apiGroupList()`            | `aggregatedDiscovery("apis", v)`        |
 * | `/apis/<group>`           | `apiGroup(group)`           | —                                       |
 * | `/api/v1`, `/apis/<g>/<v>`| `apiResourceList(g, v)`     | —                                       |
 *
 * Also `emptyCustomResourceDefinitionList()` for `GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions`,
 * which kubectl lists before validating create-only kinds client-side (see `crd-list.ts`).
 */
export { acceptsJsonAs, acceptsPlainJson, type MediaRange, parseAccept } from "./accept.js";
export {
  type AggregatedDiscoveryVersion,
  aggregatedDiscovery,
  type DiscoveryRoot,
} from "./aggregated-discovery.js";
export {
  type ApiGroupInfo,
  groupVersionString,
  resourcesOf,
  servedGroups,
  storageVersionHash,
} from "./api-groups.js";
export { customResourceDefinitionsPath, emptyCustomResourceDefinitionList } from "./crd-list.js";
export { apiGroup, apiGroupList, apiResourceList, apiVersions } from "./legacy-discovery.js";
export { aggregatedContentType, type DiscoveryChoice, negotiateDiscovery } from "./negotiate.js";
