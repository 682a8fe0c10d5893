/**
 * DELETE of one object and of a collection. Options come from a `DeleteOptions` body (kubectl
 * sends `{"propagationPolicy":"Background"}`) or the query. The answer is what kube-apiserver's
 * registries return: the object when its deletion is still in progress (graceful pods,
 * finalizers, a terminating namespace) or for the kinds whose storage sets `ReturnDeletedObject`
 * (service accounts and pods); otherwise a `Success` Status naming the object; for a collection,
 * the list of deleted objects.
 */
import { objectToJson, type ResourceInfo } from "@tokenplane/apimachinery";
import { type ApiRequest, respond } from "./api-request.js";
import { listToJson } from "./handle-read.js";
import { writeFormat } from "./handle-write.js";
import { newUnsupportedMediaTypeError, statusToJson, successStatus } from "./http-status.js";
import { inputFormat, supportedMediaTypes } from "./negotiate.js";
import { parseDeleteOptions, parseListQuery } from "./query-options.js";
import { readBody } from "./read-body.js";
import type { ResourceTarget } from "./resolve-resource.js";

/** Kinds whose registry answers a finished delete with the deleted object (`ReturnDeletedObject: true`). */
const returnsDeletedObject = new Set(["/serviceaccounts", "/pods", "/namespaces"]);

/** True when a finished delete of this kind answers with the object rather than a Status. */
export function returnsObjectOnDelete(info: Pick<ResourceInfo, "group" | "resource">): boolean {
  return returnsDeletedObject.has(`${info.group}/${info.resource}`);
}

async function deleteOptionsOf(r: ApiRequest) {
  const body = await readBody(r.req, r.res, r.deps.maxRequestBytes);
  // a body is a DeleteOptions object: JSON (or YAML/protobuf, which kubectl never sends here)
  if (body.length > 0 && inputFormat(r.req.headers["content-type"]) !== "json") {
    throw newUnsupportedMediaTypeError(supportedMediaTypes);
  }
  const options = parseDeleteOptions(r.url.searchParams, body);
  r.metrics.dryRun = options.dryRun === true;
  return options;
}

/** DELETE of one object. */
export async function handleDelete(r: ApiRequest, t: ResourceTarget): Promise<void> {
  const options = await deleteOptionsOf(r);
  const output = writeFormat(r);
  const result = await r.deps.api.delete(r.ctx, t.resource, t.namespace, t.name, options);
  if (!result.finished || returnsObjectOnDelete(t.resource)) {
    respond(r, 200, objectToJson(t.resource, result.object), output);
    return;
  }
  const meta = result.object.metadata;
  const status = successStatus({
    name: meta?.name ?? t.name,
    group: t.resource.group,
    kind: t.resource.resource,
    uid: meta?.uid ?? "",
  });
  respond(r, 200, statusToJson(status), output);
}

/** DELETE of a collection (with list options selecting what goes). */
export async function handleDeleteCollection(r: ApiRequest, t: ResourceTarget): Promise<void> {
  const options = await deleteOptionsOf(r);
  const q = parseListQuery(r.url.searchParams);
  const output = writeFormat(r);
  const deleted = await r.deps.api.deleteCollection(r.ctx, t.resource, t.namespace, q.list, options);
  respond(r, 200, listToJson(t.resource, deleted, {}), output);
}
