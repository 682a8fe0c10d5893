/**
 * GET of one object and of lists, as Kubernetes answers them: the object with `apiVersion` and
 * `kind` first; a list as `<Kind>List` with `metadata.resourceVersion` / `continue` and items
 * without their own type fields; or, when Accept asks for it, a server-side `Table` with the
 * kind's printer columns (`kubectl get`).
 */
import {
  type JsonObject,
  objectToJson,
  type ResourceInfo,
  type StoredObject,
  toK8sJson,
} from "@tokenplane/apimachinery";
import { type ApiRequest, respond } from "./api-request.js";
import { newNotAcceptableError } from "./http-status.js";
import { negotiateOutput, type OutputFormat, supportedMediaTypes } from "./negotiate.js";
import { parseListQuery } from "./query-options.js";
import type { ResourceTarget } from "./resolve-resource.js";
import { parseIncludeObject, toTable } from "./tables/index.js";

/** The response representation of a read (a Table is allowed). */
export function readFormat(r: ApiRequest): OutputFormat {
  const format = negotiateOutput(r.req.headers.accept, true);
  if (!format) throw newNotAcceptableError(supportedMediaTypes);
  return format;
}

/** A list as Kubernetes JSON. */
export function listToJson(
  info: ResourceInfo,
  items: readonly StoredObject[],
  meta: { resourceVersion?: string; continue?: string; remainingItemCount?: number },
): JsonObject {
  const metadata: JsonObject = {};
  if (meta.resourceVersion) metadata.resourceVersion = meta.resourceVersion;
  if (meta.continue) metadata.continue = meta.continue;
  if (meta.remainingItemCount !== undefined) metadata.remainingItemCount = meta.remainingItemCount;
  return {
    kind: `${info.kind}List`,
    apiVersion: info.apiVersion,
    metadata,
    items: items.map((o) => toK8sJson(info.schema, o)),
  };
}

/** `GET .../<resource>/<name>[/<subresource>]`. */
export async function handleGet(r: ApiRequest, t: ResourceTarget): Promise<void> {
  const format = readFormat(r);
  const includeObject = parseIncludeObject(r.url.searchParams.get("includeObject"));
  const rv = r.url.searchParams.get("resourceVersion");
  const object = await r.deps.api.get(r.ctx, t.resource, t.namespace, t.name, {
    ...(rv ? { resourceVersion: rv } : {}),
    ...(t.subresource !== "" ? { subresource: t.subresource } : {}),
  });
  if (format.kind === "table") {
    respond(
      r,
      200,
      toTable(t.resource, [object], { now: r.deps.now(), includeObject, apiVersion: format.groupVersion }),
      format,
    );
    return;
  }
  respond(r, 200, objectToJson(t.resource, object), format);
}

/** `GET .../<resource>` (a list). */
export async function handleList(r: ApiRequest, t: ResourceTarget): Promise<void> {
  const format = readFormat(r);
  const includeObject = parseIncludeObject(r.url.searchParams.get("includeObject"));
  const q = parseListQuery(r.url.searchParams);
  const result = await r.deps.api.list(r.ctx, t.resource, t.namespace, q.list);
  const meta = {
    resourceVersion: result.resourceVersion,
    ...(result.continue ? { continue: result.continue } : {}),
    ...(result.remainingItemCount !== undefined ? { remainingItemCount: result.remainingItemCount } : {}),
  };
  if (format.kind === "table") {
    respond(
      r,
      200,
      toTable(t.resource, result.items, {
        now: r.deps.now(),
        includeObject,
        apiVersion: format.groupVersion,
        listMeta: meta,
      }),
      format,
    );
    return;
  }
  respond(r, 200, listToJson(t.resource, result.items, meta), format);
}
