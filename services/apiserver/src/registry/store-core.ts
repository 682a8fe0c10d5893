/**
 * What the store's operations share: their dependencies, the strategy table, the mapping of
 * storage errors to Kubernetes Status errors, and NamespaceLifecycle's create check.
 */
import {
  type GroupResource,
  newAlreadyExists,
  newConflict,
  newForbidden,
  newInternalError,
  newNotFound,
  newResourceExpired,
  OptimisticLockErrorMsg,
  type ResourceInfo,
  resourceFor,
  StatusError,
  type StoredObject,
} from "@tokenplane/apimachinery";
import type { corev1 } from "@tokenplane/proto";
import { currentTrace, formatTraceparent, type Logger } from "@tokenplane/runtime";
import { type Storage, StorageError, type StorageWriteOptions } from "../storage/storage.js";
import { decodeObject } from "./codec.js";
import { objectKey } from "./keys.js";
import type { AdmissionController } from "./registry.js";
import type { Strategy } from "./strategy.js";

/** The dependencies every operation of the store uses. */
export interface StoreCore {
  readonly storage: Storage;
  /** Milliseconds since the epoch. */
  now(): number;
  readonly admission: AdmissionController | undefined;
  readonly log: Logger;
  newUid(): string;
  /** Randomness for generated names, in [0, 1). */
  random(): number;
  strategyFor(info: ResourceInfo): Strategy;
}

/** The namespaces resource, for the NamespaceLifecycle check. */
export const namespacesInfo: ResourceInfo = resourceFor("", "namespaces")!;

/** Attempts of a read-modify-write before a conflict is reported (Kubernetes retries patches 5 times). */
export const maxUpdateAttempts = 10;

/** The resource as error texts name it (`serviceaccounts`, `roles.rbac.authorization.k8s.io`). */
export function groupResource(info: ResourceInfo): GroupResource {
  return { group: info.group, resource: info.resource };
}

/** Wraps a failure that is not already a StatusError (storage closed, I/O) as a 500. */
export function asStatusError(err: unknown): StatusError {
  return err instanceof StatusError ? err : newInternalError(err);
}

/** True for a storage error with the given code. */
export function isStorageError(err: unknown, code: StorageError["code"]): err is StorageError {
  return err instanceof StorageError && err.code === code;
}

/** Maps the storage errors of a write of `name` to Kubernetes' Status errors. */
export function mapWriteError(err: unknown, info: ResourceInfo, name: string): StatusError {
  if (err instanceof StorageError) {
    switch (err.code) {
      case "ERR_KEY_EXISTS":
        return newAlreadyExists(groupResource(info), name);
      case "ERR_KEY_NOT_FOUND":
        return newNotFound(groupResource(info), name);
      case "ERR_CONFLICT":
        return newConflict(groupResource(info), name, OptimisticLockErrorMsg);
      case "ERR_COMPACTED":
        return newResourceExpired(err.message);
    }
  }
  return asStatusError(err);
}

/**
 * NamespaceLifecycle admission for a create: 404 when the namespace is missing, 403 with the
 * `NamespaceTerminating` cause while it is being deleted.
 */
export async function checkNamespaceForCreate(
  core: StoreCore,
  info: ResourceInfo,
  namespace: string,
  name: string,
): Promise<void> {
  const kv = await core.storage.get(objectKey(namespacesInfo, "", namespace));
  if (!kv) throw newNotFound(groupResource(namespacesInfo), namespace);
  const ns = decodeObject(namespacesInfo, kv) as corev1.Namespace;
  if (ns.status?.phase === "Terminating") {
    const err = newForbidden(
      groupResource(info),
      name,
      `unable to create new content in namespace ${namespace} because it is being terminated`,
    );
    err.status.details = {
      ...err.status.details,
      causes: [
        {
          reason: "NamespaceTerminating",
          message: `namespace ${namespace} is being terminated`,
          field: "metadata.namespace",
        },
      ],
    };
    throw err;
  }
}

/**
 * The storage options of every write the store makes: the running trace's `traceparent` (the
 * request's span), nothing outside a trace. Storage keeps it with the change, and the outbox
 * publishes the change's event in that trace, so the request can be followed across NATS.
 */
export function traceWriteOptions(): StorageWriteOptions {
  const trace = currentTrace();
  return trace === undefined ? {} : { traceparent: formatTraceparent(trace) };
}

/** The name to use in messages about an object. */
export function nameOf(obj: StoredObject): string {
  return obj.metadata?.name ?? "";
}
