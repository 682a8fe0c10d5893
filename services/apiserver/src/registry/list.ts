/**
 * List with selectors and paging (Kubernetes' etcd3 GetList): pages fill up to `limit` matching
 * objects, doubling the storage page when selectors drop objects, and a continue token resumes
 * right after the last object examined.
 *
 * Consistency: the store reads the current data on every page (it keeps no snapshots), so a later
 * page may show an object in a newer state than the first page's revision, and an object created
 * or deleted behind the cursor during paging is not seen. Every page reports the first page's
 * revision as the list's resourceVersion, so a watch started from it replays every change made
 * since the list began: list + watch never misses a change.
 */
import {
  newBadRequest,
  newResourceExpired,
  type ResourceInfo,
  type StoredObject,
} from "@tokenplane/apimachinery";
import type { Storage } from "../storage/storage.js";
import { decodeObject } from "./codec.js";
import { decodeContinue, encodeContinue } from "./continue-token.js";
import { keyPrefix } from "./keys.js";
import type { ListOptions, ListResult } from "./registry.js";
import { parseResourceVersion, tooLargeResourceVersion } from "./resource-version.js";
import { compileSelection } from "./selection.js";

/** The largest storage page read while filling a selective page. */
const maxPageSize = 10_000;

/** Kubernetes' text for a continue token whose first page is older than the kept history. */
const continueTooOld =
  "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

/** Lists the objects of a resource in a namespace ("" = all namespaces). */
export async function listObjects(
  storage: Storage,
  info: ResourceInfo,
  namespace: string,
  options: ListOptions = {},
): Promise<ListResult> {
  const selection = compileSelection(info, options.labelSelector, options.fieldSelector);
  const prefix = keyPrefix(info, namespace);
  const limit = options.limit && options.limit > 0 ? Math.floor(options.limit) : 0;

  let startKey: string | undefined;
  let firstRevision: number | undefined;
  if (options.continue) {
    const token = decodeContinue(options.continue, prefix);
    if ("error" in token) throw newBadRequest(`invalid continue token: ${token.error}`);
    if (token.rv < storage.oldestRevision()) throw newResourceExpired(continueTooOld);
    startKey = token.key;
    firstRevision = token.rv;
  } else {
    const min = parseResourceVersion(options.resourceVersion);
    const current = storage.currentRevision();
    if (min > current) throw tooLargeResourceVersion(min, current);
  }

  const items: StoredObject[] = [];
  let pageSize = limit;
  let lastKey: string | undefined;
  let hasMore = false;
  let revision = 0;
  for (;;) {
    const page = await storage.range(prefix, {
      ...(pageSize ? { limit: pageSize } : {}),
      ...(startKey !== undefined ? { startKey } : {}),
    });
    if (!revision) revision = page.revision;
    hasMore = page.more;
    for (const kv of page.kvs) {
      if (limit && items.length >= limit) {
        hasMore = true;
        break;
      }
      lastKey = kv.key;
      const obj = decodeObject(info, kv);
      if (!selection.matches || selection.matches(obj)) items.push(obj);
    }
    if (!hasMore || !limit || items.length >= limit || lastKey === undefined) break;
    // Selectors dropped objects: read on with a larger page.
    pageSize = Math.min(pageSize * 2, maxPageSize);
    startKey = `${lastKey}\u0000`;
  }

  const listRevision = firstRevision ?? revision;
  const result: ListResult = { items, resourceVersion: String(listRevision) };
  if (limit && hasMore && lastKey !== undefined)
    result.continue = encodeContinue(`${lastKey}\u0000`, prefix, listRevision);
  return result;
}
