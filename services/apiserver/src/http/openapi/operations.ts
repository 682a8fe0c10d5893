/**
 * The REST operations of a group-version, derived from the resource registry (verbs, scope,
 * subresources), in Kubernetes' OpenAPI terms: paths, `x-kubernetes-action`,
 * `x-kubernetes-group-version-kind` (the resource's kind on every operation, the subresource's on
 * subresource operations — `kubectl explain` finds a resource's schema through it), operation
 * ids, query parameters (`fieldValidation` on writes, which `kubectl apply` looks for before
 * leaving validation to the server) and request/response schemas. Rendered by `openapi-v3.ts`
 * and `openapi-v2.ts`.
 */
import { type ResourceInfo, resources, subresourceOnlyKinds } from "@tokenplane/apimachinery";
import { metav1 } from "@tokenplane/proto";
import { groupVersionString, resourcesOf, servedGroups } from "../discovery/index.js";
import { definitionName, type Gvk, kindDefinitionName } from "./definition-names.js";
import type { SchemaRoot } from "./schemas.js";

/** `x-kubernetes-action` values used. */
export type OperationAction = "get" | "list" | "post" | "put" | "patch" | "delete" | "deletecollection";

/** A query parameter with its JSON type. */
export interface QueryParameter {
  name: string;
  type: "string" | "integer" | "boolean";
  description: string;
}

/** One operation on one path. */
export interface OperationModel {
  /** Absolute path with `{namespace}` / `{name}` placeholders. */
  path: string;
  method: "get" | "put" | "post" | "patch" | "delete";
  action: OperationAction;
  operationId: string;
  description: string;
  /** `core_v1`, `rbacAuthorization_v1`, ... */
  tag: string;
  gvk: Gvk;
  /** Path parameters, in path order. */
  pathParams: ("namespace" | "name")[];
  /** What the path parameter `name` names (`name of the ServiceAccount`). */
  kindForName: string;
  queryParams: QueryParameter[];
  /** Definition of the request body; `patch` bodies are `Patch` under the four patch types. */
  body?: { definition: string; patch?: boolean; required: boolean };
  /** Response definitions by HTTP code. */
  responses: { code: "200" | "201" | "202"; definition: string }[];
  /** List operations also stream watch events. */
  watchable?: boolean;
}

const q = (name: string, type: QueryParameter["type"], description: string): QueryParameter => ({
  name,
  type,
  description,
});

const DRY_RUN = q(
  "dryRun",
  "string",
  "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed",
);
const FIELD_MANAGER = q(
  "fieldManager",
  "string",
  "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.",
);
const FIELD_VALIDATION = q(
  "fieldValidation",
  "string",
  "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.",
);
const FORCE = q(
  "force",
  "boolean",
  'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.',
);
const GRACE = q(
  "gracePeriodSeconds",
  "integer",
  "The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used. Defaults to a per object value if not specified. zero means delete immediately.",
);
const ORPHAN = q(
  "orphanDependents",
  "boolean",
  'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned. If true/false, the "orphan" finalizer will be added to/removed from the object\'s finalizers list. Either this field or PropagationPolicy may be set, but not both.',
);
const PROPAGATION = q(
  "propagationPolicy",
  "string",
  "Whether and/or how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. The default policy is decided by the existing finalizer set in the metadata.finalizers and the resource-specific default policy. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground.",
);
const CONTINUE = q(
  "continue",
  "string",
  "The continue option should be set when retrieving more results from the server. Since this value is server defined, clients may only use the continue value from a previous query result with identical query parameters (except for the value of continue) and the server may reject a continue value it does not recognize.",
);
const FIELD_SELECTOR = q(
  "fieldSelector",
  "string",
  "A selector to restrict the list of returned objects by their fields. Defaults to everything.",
);
const LABEL_SELECTOR = q(
  "labelSelector",
  "string",
  "A selector to restrict the list of returned objects by their labels. Defaults to everything.",
);
const LIMIT = q(
  "limit",
  "integer",
  "limit is a maximum number of responses to return for a list call. If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results.",
);
const RESOURCE_VERSION = q(
  "resourceVersion",
  "string",
  "resourceVersion sets a constraint on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details. Defaults to unset",
);
const RESOURCE_VERSION_MATCH = q(
  "resourceVersionMatch",
  "string",
  "resourceVersionMatch determines how resourceVersion is applied to list calls. It is highly recommended that resourceVersionMatch be set for list calls where resourceVersion is set See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details. Defaults to unset",
);
const TIMEOUT = q(
  "timeoutSeconds",
  "integer",
  "Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.",
);
const WATCH = q(
  "watch",
  "boolean",
  "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.",
);
const BOOKMARKS = q(
  "allowWatchBookmarks",
  "boolean",
  'allowWatchBookmarks requests watch events with type "BOOKMARK". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server\'s discretion.',
);
const SEND_INITIAL = q(
  "sendInitialEvents",
  "boolean",
  '`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection. Once all such events have been sent, a synthetic "Bookmark" event will be sent.',
);

const WRITE_PARAMS = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];
const LIST_PARAMS = [
  BOOKMARKS,
  CONTINUE,
  FIELD_SELECTOR,
  LABEL_SELECTOR,
  LIMIT,
  RESOURCE_VERSION,
  RESOURCE_VERSION_MATCH,
  SEND_INITIAL,
  TIMEOUT,
  WATCH,
];
const DELETE_PARAMS = [DRY_RUN, GRACE, ORPHAN, PROPAGATION];
const DELETE_COLLECTION_PARAMS = [
  CONTINUE,
  DRY_RUN,
  FIELD_SELECTOR,
  GRACE,
  LABEL_SELECTOR,
  LIMIT,
  ORPHAN,
  PROPAGATION,
  RESOURCE_VERSION,
  RESOURCE_VERSION_MATCH,
  SEND_INITIAL,
  TIMEOUT,
];

/** The name of the PATCH body definition. */
export const PATCH_DEFINITION = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
const STATUS = definitionName(metav1.StatusSchema);
const DELETE_OPTIONS = definitionName(metav1.DeleteOptionsSchema);

/** `rbac.authorization.k8s.io` → `RbacAuthorization`, `""` → `Core`. */
function groupCamel(group: string): string {
  if (!group) return "Core";
  return group
    .replace(/\.k8s\.io$/, "")
    .split(".")
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join("");
}

/** The operation tag: `core_v1`, `rbacAuthorization_v1`. */
export function operationTag(group: string, version: string): string {
  const g = groupCamel(group);
  return `${g.charAt(0).toLowerCase()}${g.slice(1)}_${version}`;
}

/** The path prefix of a group-version: `/api/v1` or `/apis/<group>/<version>`. */
export function groupVersionPrefix(group: string, version: string): string {
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

/** Every operation of a group-version. */
export function groupVersionOperations(group: string, version: string): OperationModel[] {
  const ops: OperationModel[] = [];
  const prefix = groupVersionPrefix(group, version);
  const tag = operationTag(group, version);
  const idBase = `${groupCamel(group)}${version.charAt(0).toUpperCase()}${version.slice(1)}`;
  for (const r of resourcesOf(group, version)) {
    const gvk: Gvk = { group: r.group, kind: r.kind, version: r.version };
    const kindDef = kindDefinitionName(r);
    const nsPart = r.namespaced ? "Namespaced" : "";
    const collection = r.namespaced
      ? `${prefix}/namespaces/{namespace}/${r.resource}`
      : `${prefix}/${r.resource}`;
    const collParams: OperationModel["pathParams"] = r.namespaced ? ["namespace"] : [];
    const itemParams: OperationModel["pathParams"] = [...collParams, "name"];
    const item = `${collection}/{name}`;
    const has = (v: string) => r.verbs.includes(v);
    const base = { tag, gvk, kindForName: r.kind };
    const listDef = r.listSchema ? definitionName(r.listSchema) : undefined;

    if (has("list") && listDef) {
      ops.push({
        ...base,
        path: collection,
        method: "get",
        action: "list",
        operationId: `list${idBase}${nsPart}${r.kind}`,
        description: `list or watch objects of kind ${r.kind}`,
        pathParams: collParams,
        queryParams: LIST_PARAMS,
        responses: [{ code: "200", definition: listDef }],
        watchable: true,
      });
    }
    if (has("create")) {
      ops.push({
        ...base,
        path: collection,
        method: "post",
        action: "post",
        operationId: `create${idBase}${nsPart}${r.kind}`,
        description: `create ${article(r.kind)} ${r.kind}`,
        pathParams: collParams,
        queryParams: WRITE_PARAMS,
        body: { definition: kindDef, required: true },
        responses: [
          { code: "200", definition: kindDef },
          { code: "201", definition: kindDef },
          { code: "202", definition: kindDef },
        ],
      });
    }
    if (has("deletecollection")) {
      ops.push({
        ...base,
        path: collection,
        method: "delete",
        action: "deletecollection",
        operationId: `deleteCollection${idBase}${nsPart}${r.kind}`,
        description: `delete collection of ${r.kind}`,
        pathParams: collParams,
        queryParams: DELETE_COLLECTION_PARAMS,
        body: { definition: DELETE_OPTIONS, required: false },
        responses: [{ code: "200", definition: STATUS }],
      });
    }
    if (has("get")) {
      ops.push({
        ...base,
        path: item,
        method: "get",
        action: "get",
        operationId: `read${idBase}${nsPart}${r.kind}`,
        description: `read the specified ${r.kind}`,
        pathParams: itemParams,
        queryParams: [],
        responses: [{ code: "200", definition: kindDef }],
      });
    }
    if (has("update")) {
      ops.push({
        ...base,
        path: item,
        method: "put",
        action: "put",
        operationId: `replace${idBase}${nsPart}${r.kind}`,
        description: `replace the specified ${r.kind}`,
        pathParams: itemParams,
        queryParams: WRITE_PARAMS,
        body: { definition: kindDef, required: true },
        responses: [
          { code: "200", definition: kindDef },
          { code: "201", definition: kindDef },
        ],
      });
    }
    if (has("patch")) {
      ops.push({
        ...base,
        path: item,
        method: "patch",
        action: "patch",
        operationId: `patch${idBase}${nsPart}${r.kind}`,
        description: `partially update the specified ${r.kind}`,
        pathParams: itemParams,
        queryParams: [...WRITE_PARAMS, FORCE],
        body: { definition: PATCH_DEFINITION, patch: true, required: true },
        responses: [
          { code: "200", definition: kindDef },
          { code: "201", definition: kindDef },
        ],
      });
    }
    if (has("delete")) {
      ops.push({
        ...base,
        path: item,
        method: "delete",
        action: "delete",
        operationId: `delete${idBase}${nsPart}${r.kind}`,
        description: `delete ${article(r.kind)} ${r.kind}`,
        pathParams: itemParams,
        queryParams: DELETE_PARAMS,
        body: { definition: DELETE_OPTIONS, required: false },
        responses: [
          { code: "200", definition: STATUS },
          { code: "202", definition: STATUS },
        ],
      });
    }
    if (r.namespaced && has("list") && listDef) {
      ops.push({
        ...base,
        path: `${prefix}/${r.resource}`,
        method: "get",
        action: "list",
        operationId: `list${idBase}${r.kind}ForAllNamespaces`,
        description: `list or watch objects of kind ${r.kind}`,
        pathParams: [],
        queryParams: LIST_PARAMS,
        responses: [{ code: "200", definition: listDef }],
        watchable: true,
      });
    }
    ops.push(...subresourceOperations(r, item, itemParams, idBase, nsPart, tag));
  }
  return ops;
}

function subresourceOperations(
  r: ResourceInfo,
  item: string,
  pathParams: OperationModel["pathParams"],
  idBase: string,
  nsPart: string,
  tag: string,
): OperationModel[] {
  const ops: OperationModel[] = [];
  for (const s of r.subresources) {
    const gvk: Gvk = { group: s.group ?? r.group, kind: s.kind, version: s.version ?? r.version };
    const def = subresourceDefinition(r, s);
    const suffix = s.name.charAt(0).toUpperCase() + s.name.slice(1);
    const path = `${item}/${s.name}`;
    const base = { tag, gvk, kindForName: r.kind, path, pathParams };
    if (s.verbs.includes("get")) {
      ops.push({
        ...base,
        method: "get",
        action: "get",
        operationId: `read${idBase}${nsPart}${r.kind}${suffix}`,
        description: `read ${s.name} of the specified ${r.kind}`,
        queryParams: [],
        responses: [{ code: "200", definition: def }],
      });
    }
    if (s.verbs.includes("create")) {
      ops.push({
        ...base,
        method: "post",
        action: "post",
        operationId: `create${idBase}${nsPart}${r.kind}${suffix}`,
        description: `create ${s.name} of ${article(r.kind)} ${r.kind}`,
        queryParams: WRITE_PARAMS,
        body: { definition: def, required: true },
        responses: [
          { code: "200", definition: def },
          { code: "201", definition: def },
          { code: "202", definition: def },
        ],
      });
    }
    if (s.verbs.includes("update")) {
      ops.push({
        ...base,
        method: "put",
        action: "put",
        operationId: `replace${idBase}${nsPart}${r.kind}${suffix}`,
        description: `replace ${s.name} of the specified ${r.kind}`,
        queryParams: WRITE_PARAMS,
        body: { definition: def, required: true },
        responses: [
          { code: "200", definition: def },
          { code: "201", definition: def },
        ],
      });
    }
    if (s.verbs.includes("patch")) {
      ops.push({
        ...base,
        method: "patch",
        action: "patch",
        operationId: `patch${idBase}${nsPart}${r.kind}${suffix}`,
        description: `partially update ${s.name} of the specified ${r.kind}`,
        queryParams: [...WRITE_PARAMS, FORCE],
        body: { definition: PATCH_DEFINITION, patch: true, required: true },
        responses: [
          { code: "200", definition: def },
          { code: "201", definition: def },
        ],
      });
    }
  }
  return ops;
}

/** The definition of a subresource's kind: the resource's own, or another registered kind (TokenRequest). */
function subresourceDefinition(r: ResourceInfo, s: ResourceInfo["subresources"][number]): string {
  const group = s.group ?? r.group;
  const version = s.version ?? r.version;
  if (group === r.group && version === r.version && s.kind === r.kind) return kindDefinitionName(r);
  const owner = subresourceKinds().find(
    (k) => k.group === group && k.version === version && k.kind === s.kind,
  );
  if (!owner) throw new TypeError(`no schema for subresource kind ${group}/${version} ${s.kind}`);
  return kindDefinitionName(owner);
}

/** Kinds that only appear as subresources (TokenRequest, Binding): their schema and group-version. */
function subresourceKinds(): readonly Pick<ResourceInfo, "group" | "version" | "kind" | "schema">[] {
  return subresourceOnlyKinds;
}

function article(kind: string): string {
  return /^[AEIOU]/.test(kind) ? "an" : "a";
}

/** The definitions a group-version's document publishes as roots (kinds with their GVKs). */
export function groupVersionRoots(group: string, version: string): SchemaRoot[] {
  const roots: SchemaRoot[] = [];
  const add = (root: SchemaRoot) => {
    if (!roots.some((x) => x.name === root.name)) roots.push(root);
  };
  for (const r of resourcesOf(group, version)) {
    add({
      name: kindDefinitionName(r),
      desc: r.schema,
      gvks: [{ group: r.group, kind: r.kind, version: r.version }],
    });
    if (r.listSchema) {
      add({
        name: definitionName(r.listSchema),
        desc: r.listSchema,
        gvks: [{ group: r.group, kind: `${r.kind}List`, version: r.version }],
      });
    }
    for (const s of r.subresources) {
      // A subresource without its own group/version is in the resource's.
      const k = subresourceKinds().find(
        (x) =>
          x.kind === s.kind && x.group === (s.group ?? r.group) && x.version === (s.version ?? r.version),
      );
      if (k)
        add({
          name: kindDefinitionName(k),
          desc: k.schema,
          gvks: [{ group: k.group, kind: k.kind, version: k.version }],
        });
    }
  }
  const ops = groupVersionOperations(group, version);
  if (ops.some((o) => o.responses.some((x) => x.definition === STATUS))) {
    add({ name: STATUS, desc: metav1.StatusSchema, gvks: [{ group: "", kind: "Status", version: "v1" }] });
  }
  if (ops.some((o) => o.body?.definition === DELETE_OPTIONS)) {
    add({ name: DELETE_OPTIONS, desc: metav1.DeleteOptionsSchema, gvks: deleteOptionsGvks() });
  }
  return roots;
}

/** DeleteOptions is a kind in every group-version (Kubernetes lists them all). */
function deleteOptionsGvks(): Gvk[] {
  return servedGroups().flatMap((g) =>
    g.versions.map((v) => ({ group: g.name, kind: "DeleteOptions", version: v })),
  );
}

/** Every served group-version as the OpenAPI v3 index names it (`api/v1`, `apis/<g>/<v>`). */
export function openApiGroupVersions(): { path: string; group: string; version: string }[] {
  return servedGroups().flatMap((g) =>
    g.versions.map((v) => ({
      path: g.name ? `apis/${groupVersionString(g.name, v)}` : `api/${v}`,
      group: g.name,
      version: v,
    })),
  );
}

/** True when a kind is served by some resource (used by tests to check every kind is described). */
export function servedKinds(): Gvk[] {
  return resources.map((r) => ({ group: r.group, kind: r.kind, version: r.version }));
}
