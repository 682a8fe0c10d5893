/**
 * Dispatch of an authenticated request to its handler: non-resource paths to
 * handle-non-resource.ts, resource paths (after routing, resolve-resource.ts) by verb to the
 * read, watch, write, patch, delete and review handlers.
 *
 * kube-apiserver authorizes a request before any handler looks at it, so a caller who may not
 * make the request gets 403 even when the path is unknown or the body malformed. Here the Api
 * authorizes when it is called; when a request fails before reaching the Api (routing, media
 * types, body decoding, options), the caller's access is checked first so that the 403 wins as it
 * does in Kubernetes.
 */
import { StatusError } from "@tokenplane/apimachinery";
import type { Api } from "../api/api.js";
import type { ApiRequest } from "./api-request.js";
import { handleCrdList, isCrdList } from "./handle-crd-list.js";
import { handleDelete, handleDeleteCollection } from "./handle-delete.js";
import { handleNonResource } from "./handle-non-resource.js";
import { handlePatch } from "./handle-patch.js";
import { handleGet, handleList } from "./handle-read.js";
import { handleReview, isReviewResource } from "./handle-reviews.js";
import { handleWatch, type WatchCloser } from "./handle-watch.js";
import { handleCreate, handleUpdate } from "./handle-write.js";
import type { RequestInfo } from "./request-info.js";
import { PathNotFound, resolveResource } from "./resolve-resource.js";
import { type AccessCheck, requireAccess } from "./self-access.js";

/** The Api with a flag that turns true on the first call of any of its operations. */
function tracked(api: Api): { api: Api; reached: () => boolean } {
  let called = false;
  const proxy = new Proxy(api, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        called = true;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { api: proxy, reached: () => called };
}

/** The authorization attributes of a resource request, as Kubernetes' RequestInfo gives them. */
function accessOf(info: RequestInfo): AccessCheck {
  return {
    verb: info.verb,
    group: info.apiGroup,
    resource: info.resource,
    subresource: info.subresource,
    namespace: info.namespace,
    name: info.name,
  };
}

async function dispatch(r: ApiRequest, trackWatch: WatchCloser): Promise<void> {
  if (isCrdList(r)) return handleCrdList(r);
  const t = resolveResource(r.info);
  switch (t.verb) {
    case "get":
      return handleGet(r, t);
    case "list":
      return handleList(r, t);
    case "watch":
      return handleWatch(r, t, trackWatch);
    case "create":
      return isReviewResource(t) ? handleReview(r, t) : handleCreate(r, t);
    case "update":
      return handleUpdate(r, t);
    case "patch":
      return handlePatch(r, t);
    case "delete":
      return handleDelete(r, t);
    case "deletecollection":
      return handleDeleteCollection(r, t);
  }
}

/** Routes one request; throws StatusError (or PathNotFound) for the caller to write. */
export async function routeRequest(r: ApiRequest, trackWatch: WatchCloser): Promise<void> {
  if (!r.info.isResourceRequest) return handleNonResource(r);
  const t = tracked(r.deps.api);
  try {
    await dispatch({ ...r, deps: { ...r.deps, api: t.api } }, trackWatch);
  } catch (err) {
    if (!t.reached() && (err instanceof StatusError || err instanceof PathNotFound)) {
      await requireAccess(r.deps.api, r.ctx, accessOf(r.info));
    }
    throw err;
  }
}
