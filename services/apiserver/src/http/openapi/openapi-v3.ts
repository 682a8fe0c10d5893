/**
 * OpenAPI v3: the index `GET /openapi/v3` and one document per group-version
 * (`GET /openapi/v3/api/v1?hash=<etag>`), as kube-apiserver serves them. kubectl reads them for
 * `apply` (does the PATCH operation of this kind take `fieldValidation`? then validation is
 * left to the server), for `explain` (the schema whose `x-kubernetes-group-version-kind` matches
 * the operations of the resource's paths), and for the patch metadata of client-side apply.
 *
 * Documents are built once per process, are byte-stable across runs (sorted, no timestamps) and
 * carry an ETag: the upper-case hex SHA-512 of the body, as kube-openapi computes it.
 */
import { createHash } from "node:crypto";
import type { JsonObject, JsonValue } from "@tokenplane/apimachinery";
import { type OpenApiFlavor, refTo } from "./definition-names.js";
import {
  groupVersionOperations,
  groupVersionRoots,
  type OperationModel,
  openApiGroupVersions,
  PATCH_DEFINITION,
  type QueryParameter,
} from "./operations.js";
import { buildDefinitions, fixedDefinition } from "./schemas.js";

/** A rendered document. */
export interface OpenApiDocument {
  /** The JSON text served. */
  body: string;
  /** kube-openapi's ETag value (unquoted): upper-case hex SHA-512 of the body. */
  etag: string;
}

/** The `info.version` every document states. */
export const openApiInfoVersion = "v1.32.0-tokenplane";

/** The content types a PATCH accepts (one per patch format). */
export const patchContentTypes = [
  "application/apply-patch+yaml",
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
] as const;

/** kube-openapi's ETag of a body. */
export function computeEtag(body: string): string {
  return createHash("sha512").update(body).digest("hex").toUpperCase();
}

function paramV3(p: QueryParameter): JsonObject {
  return {
    name: p.name,
    in: "query",
    description: p.description,
    schema: { type: p.type, uniqueItems: true },
  };
}

function pathParamV3(name: "namespace" | "name", kind: string): JsonObject {
  return {
    name,
    in: "path",
    description:
      name === "namespace"
        ? "object name and auth scope, such as for teams and projects"
        : `name of the ${kind}`,
    required: true,
    schema: { type: "string", uniqueItems: true },
  };
}

const prettyV3: JsonObject = {
  name: "pretty",
  in: "query",
  description:
    "If 'true', then the output is pretty printed. Defaults to 'false' unless the user agent indicates a browser or command-line HTTP tool (curl and wget).",
  schema: { type: "string", uniqueItems: true },
};

function operationV3(op: OperationModel): JsonObject {
  const out: JsonObject = {
    tags: [op.tag],
    description: op.description,
    operationId: op.operationId,
  };
  if (op.queryParams.length > 0) out.parameters = op.queryParams.map(paramV3);
  if (op.body) {
    const schema = { $ref: refTo(op.body.definition, "v3") };
    const content: JsonObject = {};
    for (const t of op.body.patch ? patchContentTypes : ["*/*"]) content[t] = { schema };
    out.requestBody = op.body.required ? { content, required: true } : { content };
  }
  const responses: JsonObject = {};
  for (const r of op.responses) {
    const schema = { $ref: refTo(r.definition, "v3") };
    const content: JsonObject = { "application/json": { schema } };
    if (op.watchable) content["application/json;stream=watch"] = { schema };
    responses[r.code] = { description: responseDescription(r.code), content };
  }
  responses["401"] = { description: "Unauthorized" };
  out.responses = responses;
  out["x-kubernetes-action"] = op.action;
  out["x-kubernetes-group-version-kind"] = { ...op.gvk };
  return out;
}

/** HTTP status descriptions as kube-openapi writes them. */
export function responseDescription(code: string): string {
  return code === "201" ? "Created" : code === "202" ? "Accepted" : "OK";
}

/** Groups operations by path: `{ [path]: { get, post, ..., parameters } }` in path order. */
export function pathItems(
  ops: readonly OperationModel[],
  render: (op: OperationModel) => JsonObject,
  pathParam: (name: "namespace" | "name", kind: string) => JsonObject,
  pretty: JsonObject,
): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const op of ops) {
    const item = paths[op.path] ?? {};
    item[op.method] = render(op);
    item.parameters = [...op.pathParams.map((p) => pathParam(p, op.kindForName)), pretty];
    paths[op.path] = item;
  }
  const sorted: JsonObject = {};
  for (const k of Object.keys(paths).sort()) sorted[k] = paths[k] as JsonObject;
  return sorted;
}

/** The v3 document of a group-version as a JSON object, or undefined when not served. */
export function buildOpenApiV3Document(group: string, version: string): JsonObject | undefined {
  const ops = groupVersionOperations(group, version);
  if (ops.length === 0) return undefined;
  const schemas = buildDefinitions(groupVersionRoots(group, version), "v3");
  if (ops.some((o) => o.body?.patch))
    schemas[PATCH_DEFINITION] = fixedDefinition(PATCH_DEFINITION, "v3") ?? {};
  return {
    openapi: "3.0.0",
    info: { title: "Kubernetes", version: openApiInfoVersion },
    paths: pathItems(ops, operationV3, pathParamV3, prettyV3),
    components: { schemas: sortKeys(schemas), securitySchemes: securitySchemes("v3") },
    security: [{ BearerToken: [] }],
  };
}

/** Bearer token security, as Kubernetes declares it. */
export function securitySchemes(_flavor: OpenApiFlavor): JsonObject {
  return {
    BearerToken: {
      type: "apiKey",
      description: "Bearer Token authentication",
      name: "authorization",
      in: "header",
    },
  };
}

function sortKeys(o: Record<string, JsonValue>): JsonObject {
  const out: JsonObject = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k] as JsonValue;
  return out;
}

let cache: { docs: Map<string, OpenApiDocument>; index: OpenApiDocument } | undefined;

function build(): { docs: Map<string, OpenApiDocument>; index: OpenApiDocument } {
  if (cache) return cache;
  const docs = new Map<string, OpenApiDocument>();
  const paths: JsonObject = {};
  for (const gv of openApiGroupVersions()) {
    const doc = buildOpenApiV3Document(gv.group, gv.version);
    if (!doc) continue;
    const body = JSON.stringify(doc);
    const etag = computeEtag(body);
    docs.set(gv.path, { body, etag });
    paths[gv.path] = { serverRelativeURL: `/openapi/v3/${gv.path}?hash=${etag}` };
  }
  const indexBody = JSON.stringify({ paths });
  cache = { docs, index: { body: indexBody, etag: computeEtag(indexBody) } };
  return cache;
}

/** `GET /openapi/v3`: `{"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=..."}, ...}}`. */
export function openApiV3Index(): OpenApiDocument {
  return build().index;
}

/** The document at `/openapi/v3/<path>` (`api/v1`, `apis/rbac.authorization.k8s.io/v1`), if served. */
export function openApiV3Document(path: string): OpenApiDocument | undefined {
  return build().docs.get(path.replace(/^\/+/, ""));
}

/** What to answer for a GET of a v3 document. */
export interface OpenApiV3Response {
  status: 200 | 301 | 304 | 404;
  headers: Record<string, string>;
  body?: string;
}

/**
 * kube-openapi's answer to `GET /openapi/v3/<path>[?hash=...]`: 404 for an unknown path; 301 to
 * the current `?hash=` URL when the requested hash is stale; 304 when `If-None-Match` matches;
 * otherwise the document with `ETag` and, when requested by its current hash, cacheable for a
 * year (`Cache-Control: public, immutable`), else `no-cache, private`. `now` in ms.
 */
export function openApiV3Response(
  path: string,
  hash: string | undefined,
  ifNoneMatch: string | undefined,
  now: number,
): OpenApiV3Response {
  const clean = path.replace(/^\/+/, "");
  const doc = openApiV3Document(clean);
  if (!doc) return { status: 404, headers: {} };
  const etagHeader = JSON.stringify(doc.etag);
  if (hash !== undefined && hash !== doc.etag) {
    return { status: 301, headers: { Location: `/openapi/v3/${clean}?hash=${doc.etag}` } };
  }
  const headers: Record<string, string> = { "Content-Type": "application/json", Etag: etagHeader };
  if (hash !== undefined) {
    headers["Cache-Control"] = "public, immutable";
    headers.Expires = new Date(now + 365 * 24 * 3600 * 1000).toUTCString();
  } else {
    headers["Cache-Control"] = "no-cache, private";
  }
  if (ifNoneMatch?.split(",").some((t) => t.trim() === etagHeader)) {
    return { status: 304, headers };
  }
  return { status: 200, headers, body: doc.body };
}
