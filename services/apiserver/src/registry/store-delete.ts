/**
 * Delete: Kubernetes' Store.Delete with the kind's own rules first (the namespace's two-phase
 * deletion), then the preconditions, graceful deletion and finalizers ({@link planDelete}).
 * Writes are conditional on the revision read; a write that lost a race is retried.
 */
import {
  metadataOf,
  newConflict,
  newNotFound,
  OptimisticLockErrorMsg,
  type ResourceInfo,
  type StoredObject,
} from "@tokenplane/apimachinery";
import { copyObject, decodeObject, encodeObject } from "./codec.js";
import { planDelete } from "./graceful-delete.js";
import { objectKey } from "./keys.js";
import type { DeleteOptions, DeleteResult } from "./registry.js";
import {
  asStatusError,
  groupResource,
  isStorageError,
  maxUpdateAttempts,
  type StoreCore,
  traceWriteOptions,
} from "./store-core.js";

/** `BeforeDelete`'s precondition check, with its texts (the resource is named by its kind there). */
function checkPreconditions(info: ResourceInfo, obj: StoredObject, options: DeleteOptions): void {
  const meta = metadataOf(obj);
  const byKind = { group: info.group, resource: info.kind };
  const pre = options.preconditions;
  if (pre?.uid !== undefined && pre.uid !== meta.uid) {
    throw newConflict(
      byKind,
      meta.name,
      `the UID in the precondition (${pre.uid}) does not match the UID in record (${meta.uid}). The object might have been deleted and then recreated`,
    );
  }
  if (pre?.resourceVersion !== undefined && pre.resourceVersion !== meta.resourceVersion) {
    throw newConflict(
      byKind,
      meta.name,
      `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${meta.resourceVersion}). The object might have been modified`,
    );
  }
}

/** Deletes (or starts deleting) one object. */
export async function runDelete(
  core: StoreCore,
  info: ResourceInfo,
  namespace: string,
  name: string,
  options: DeleteOptions,
): Promise<DeleteResult> {
  const strategy = core.strategyFor(info);
  const key = objectKey(info, namespace, name);
  const dryRun = options.dryRun === true;
  for (let attempt = 1; ; attempt++) {
    const kv = await core.storage.get(key);
    if (!kv) throw newNotFound(groupResource(info), name);
    const existing = decodeObject(info, kv);
    checkPreconditions(info, existing, options);
    const obj = copyObject(info, existing);
    const now = core.now();
    try {
      const kindStep = strategy.beforeDelete?.(obj, now) ?? { action: "proceed" as const };
      const plan =
        kindStep.action === "update"
          ? { action: "mark" as const, object: kindStep.object }
          : planDelete(strategy, obj, options.gracePeriodSeconds, now);
      switch (plan.action) {
        case "pending":
          return { object: existing, finished: false };
        case "mark": {
          if (dryRun) return { object: plan.object, finished: false };
          const bytes = encodeObject(info, plan.object);
          // Deleting again what is already marked changes nothing: write nothing (no new revision).
          if (Buffer.from(bytes).equals(Buffer.from(kv.value))) return { object: existing, finished: false };
          const written = await core.storage.update(key, bytes, kv.modRevision, traceWriteOptions());
          return { object: decodeObject(info, written), finished: false };
        }
        case "delete": {
          if (dryRun) return { object: existing, finished: true };
          const deleted = await core.storage.delete(key, kv.modRevision, traceWriteOptions());
          return { object: decodeObject(info, deleted), finished: true };
        }
      }
    } catch (err) {
      if (isStorageError(err, "ERR_CONFLICT")) {
        if (attempt >= maxUpdateAttempts)
          throw newConflict(groupResource(info), name, OptimisticLockErrorMsg);
        continue;
      }
      if (isStorageError(err, "ERR_KEY_NOT_FOUND")) throw newNotFound(groupResource(info), name);
      throw asStatusError(err);
    }
  }
}
