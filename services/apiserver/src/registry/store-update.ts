/**
 * Update (PUT) and guaranteed update (PATCH, internal read-modify-write): Kubernetes' Store.Update
 * and rest.BeforeUpdate. Each attempt reads the stored object, builds the new one, checks the
 * resourceVersion (or fills it for unconditional updates), runs admission, repairs the metadata,
 * applies the (sub)resource strategy, validates, and writes conditionally on the read revision;
 * a write that lost a race is retried.
 */
import { create } from "@bufbuild/protobuf";
import {
  FieldPath,
  fieldError,
  metadataOf,
  newBadRequest,
  newConflict,
  newInvalid,
  newNotFound,
  OptimisticLockErrorMsg,
  type ResourceInfo,
  StatusError,
  type StoredObject,
} from "@tokenplane/apimachinery";
import type { metav1 } from "@tokenplane/proto";
import type { RequestContext } from "../request/context.js";
import { copyObject, decodeObject, encodeObject } from "./codec.js";
import { shouldDeleteDuringUpdate } from "./graceful-delete.js";
import { objectKey } from "./keys.js";
import type { UpdateOptions } from "./registry.js";
import {
  asStatusError,
  groupResource,
  isStorageError,
  maxUpdateAttempts,
  type StoreCore,
  traceWriteOptions,
} from "./store-core.js";
import type { SubresourceStrategy } from "./strategy.js";

/** Creates an object for a PUT of a missing one (strategies with allowCreateOnUpdate). */
export type CreateForUpdate = (obj: StoredObject) => Promise<StoredObject>;

/** The 404 Kubernetes' router gives for a subresource it does not serve. */
function unknownSubresource(): StatusError {
  return new StatusError({
    reason: "NotFound",
    code: 404,
    message: "the server could not find the requested resource",
  });
}

/**
 * The update loop. `produce` returns the desired object given a copy of the current one; it is
 * called once per attempt.
 */
export async function runUpdate(
  core: StoreCore,
  ctx: RequestContext,
  info: ResourceInfo,
  namespace: string,
  name: string,
  produce: (current: StoredObject) => StoredObject | Promise<StoredObject>,
  options: UpdateOptions,
  createMissing: CreateForUpdate,
): Promise<StoredObject> {
  const strategy = core.strategyFor(info);
  const subresource = options.subresource ?? "";
  let sub: SubresourceStrategy<StoredObject> | undefined;
  if (subresource) {
    sub = strategy.subresources[subresource];
    if (!sub) throw unknownSubresource();
  }
  const rules = sub ?? strategy;
  const gr = groupResource(info);
  const key = objectKey(info, namespace, name);
  const dryRun = options.dryRun === true;

  for (let attempt = 1; ; attempt++) {
    const kv = await core.storage.get(key);
    if (!kv) {
      if (!strategy.allowCreateOnUpdate || subresource) throw newNotFound(gr, name);
      // Kubernetes hands the update an empty object when the key is missing.
      const obj = await produce(create(info.schema) as StoredObject);
      checkName(info, metadataOf(obj), namespace, name);
      try {
        return await createMissing(obj);
      } catch (err) {
        // Someone created it meanwhile: update that one instead.
        if (err instanceof StatusError && err.reason === "AlreadyExists" && attempt < maxUpdateAttempts)
          continue;
        throw err;
      }
    }
    const existing = decodeObject(info, kv);
    const currentRv = String(kv.modRevision);
    let obj = copyObject(info, await produce(copyObject(info, existing)));
    let meta = metadataOf(obj);

    checkName(info, meta, namespace, name);
    meta.namespace = info.namespaced ? namespace : "";
    strategy.default(obj);

    // Optimistic concurrency: a given resourceVersion must be the stored one; none means
    // "overwrite the latest" where the kind allows it (reference §8.3).
    const conditional = meta.resourceVersion !== "";
    if (!conditional) {
      if (!strategy.allowUnconditionalUpdate) {
        throw newInvalid({ group: info.group, kind: info.kind }, name, [
          fieldError.invalid(
            FieldPath.root("metadata").child("resourceVersion"),
            "",
            "must be specified for an update",
          ),
        ]);
      }
      meta.resourceVersion = currentRv;
    } else if (meta.resourceVersion !== currentRv) {
      throw newConflict(gr, name, OptimisticLockErrorMsg);
    }

    if (core.admission) {
      obj = await core.admission.admit({
        operation: "UPDATE",
        info,
        subresource,
        namespace,
        name,
        object: obj,
        oldObject: existing,
        user: ctx.user,
        dryRun,
      });
      meta = metadataOf(obj);
      strategy.default(obj);
    }

    // rest.BeforeUpdate: clients cannot change generation, uid, creation or deletion data.
    const old = metadataOf(existing);
    meta.generation = old.generation;
    rules.prepareForUpdate(obj, existing);
    if (!meta.uid) meta.uid = old.uid;
    if (old.creationTimestamp) meta.creationTimestamp = old.creationTimestamp;
    if (old.deletionTimestamp) meta.deletionTimestamp = old.deletionTimestamp;
    if (old.deletionGracePeriodSeconds !== undefined && meta.deletionGracePeriodSeconds === undefined) {
      meta.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
    }
    const errs = rules.validateUpdate(obj, existing);
    if (errs.length) throw newInvalid({ group: info.group, kind: info.kind }, name, errs);
    const warnings = rules.warningsOnUpdate?.(obj, existing) ?? [];

    try {
      if (shouldDeleteDuringUpdate(strategy, obj, existing)) {
        // The last finalizer is gone: the object goes (clients still get the updated object).
        if (!dryRun) await core.storage.delete(key, kv.modRevision, traceWriteOptions());
        ctx.warnings.push(...warnings);
        return obj;
      }
      if (dryRun) {
        ctx.warnings.push(...warnings);
        return obj;
      }
      const bytes = encodeObject(info, obj);
      // A no-op update writes nothing and keeps the resourceVersion (etcd3 GuaranteedUpdate).
      if (Buffer.from(bytes).equals(Buffer.from(kv.value))) {
        ctx.warnings.push(...warnings);
        return existing;
      }
      const written = await core.storage.update(key, bytes, kv.modRevision, traceWriteOptions());
      ctx.warnings.push(...warnings);
      return decodeObject(info, written);
    } catch (err) {
      if (isStorageError(err, "ERR_CONFLICT") || isStorageError(err, "ERR_KEY_NOT_FOUND")) {
        if (attempt >= maxUpdateAttempts) throw newConflict(gr, name, OptimisticLockErrorMsg);
        core.log.debug({ resource: info.resource, namespace, name, attempt }, "update lost a race, retrying");
        continue;
      }
      throw asStatusError(err);
    }
  }
}

/** The update handler's checkName: the body names the object the URL names. */
function checkName(info: ResourceInfo, meta: metav1.ObjectMeta, namespace: string, name: string): void {
  if (info.namespaced && meta.namespace && meta.namespace !== namespace) {
    throw newBadRequest(
      `the namespace of the object (${meta.namespace}) does not match the namespace on the request (${namespace})`,
    );
  }
  if (meta.name !== name) {
    throw newBadRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
  }
}
