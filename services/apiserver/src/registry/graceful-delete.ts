/**
 * What a delete does to an existing object: Kubernetes' `rest.BeforeDelete` and the store's
 * finalizer handling (staging/src/k8s.io/apiserver/pkg/registry/rest/delete.go and
 * generic/registry/store.go Delete, updateForGracefulDeletionAndFinalizers, markAsDeleting).
 * Pure: the object is a private copy and is mutated into the state to store.
 */
import { metadataOf, msFromTime, type StoredObject, timeFromMs } from "@tokenplane/apimachinery";
import type { Strategy } from "./strategy.js";

/** The outcome of {@link planDelete}. */
export type DeletePlan =
  /** Remove the object now. */
  | { action: "delete" }
  /** Store the object as mutated (deletion started or shortened); it stays for now. */
  | { action: "mark"; object: StoredObject }
  /** Deletion is already under way with no shorter grace period asked for: nothing to write. */
  | { action: "pending" };

/**
 * Plans the deletion of `obj` (a copy of the stored object) at `now` (ms since the epoch), for a
 * request that asked for `requestedGrace` seconds (undefined = not given).
 */
export function planDelete(
  strategy: Strategy,
  obj: StoredObject,
  requestedGrace: number | undefined,
  now: number,
): DeletePlan {
  const meta = metadataOf(obj);
  let requested = requestedGrace;
  // Negative values are treated as 1 s on the delete path, as is a stored negative period.
  if (requested !== undefined && requested < 0) requested = 1;
  if (meta.deletionGracePeriodSeconds !== undefined && meta.deletionGracePeriodSeconds < 0n) requested = 1;

  let gracefulPeriod: number | undefined;
  if (strategy.gracefulDeletePeriod) {
    const current = meta.deletionGracePeriodSeconds;
    if (meta.deletionTimestamp) {
      // Already being deleted: only a shorter grace period may be given. A stored period of 0
      // (or none) means the earlier removal did not complete: remove now.
      if (current !== undefined && current !== 0n) {
        if (requested === undefined || BigInt(requested) >= current) return { action: "pending" };
        const start = msFromTime(meta.deletionTimestamp)! - Number(current) * 1000;
        meta.deletionTimestamp = timeFromMs(start + requested * 1000);
        meta.deletionGracePeriodSeconds = BigInt(requested);
        gracefulPeriod = requested;
      }
    } else {
      gracefulPeriod = strategy.gracefulDeletePeriod(obj, requested);
      meta.deletionTimestamp = timeFromMs(now + gracefulPeriod * 1000);
      meta.deletionGracePeriodSeconds = BigInt(gracefulPeriod);
      if (meta.generation > 0n) meta.generation += 1n;
    }
  }

  const pendingFinalizers = meta.finalizers.length > 0;
  if (gracefulPeriod !== undefined) {
    // A zero period deletes at once unless finalizers hold the object (Kubernetes writes the
    // marked object first and then deletes it; the intermediate write is skipped here).
    return gracefulPeriod > 0 || pendingFinalizers ? { action: "mark", object: obj } : { action: "delete" };
  }
  if (pendingFinalizers) {
    markAsDeleting(obj, now);
    return { action: "mark", object: obj };
  }
  return { action: "delete" };
}

/** `markAsDeleting`: deletionTimestamp now (or kept when earlier), grace period 0. */
function markAsDeleting(obj: StoredObject, now: number): void {
  const meta = metadataOf(obj);
  if (!meta.deletionTimestamp && meta.generation > 0n) meta.generation += 1n;
  const existing = msFromTime(meta.deletionTimestamp);
  if (existing === undefined || existing > now) meta.deletionTimestamp = timeFromMs(now);
  meta.deletionGracePeriodSeconds = 0n;
}

/**
 * `ShouldDeleteDuringUpdate`: an update that leaves no finalizers on an object whose deletion
 * started with no grace period left removes it (plus the kind's own condition).
 */
export function shouldDeleteDuringUpdate(
  strategy: Strategy,
  next: StoredObject,
  existing: StoredObject,
): boolean {
  const old = metadataOf(existing);
  if (metadataOf(next).finalizers.length > 0 || !old.deletionTimestamp) return false;
  if (old.deletionGracePeriodSeconds !== undefined && old.deletionGracePeriodSeconds !== 0n) return false;
  return strategy.shouldDeleteDuringUpdate?.(next) ?? true;
}
