/**
 * The informer's cache and its rules, without I/O (STYLE.md: rule code is pure): which events
 * apply, which are duplicates or stale, and how a list reconciles the cache. It returns the
 * changes; `informer.ts` runs the handlers for them.
 *
 * resourceVersions are one increasing counter across the store (DESIGN.md), compared as numbers.
 * - An event for a cached object applies only if newer (equal = duplicate of at-least-once
 *   delivery, older = stale).
 * - For an object not cached: an event not newer than its tombstone (recently deleted keys with
 *   their deletion rv, oldest forgotten past `tombstoneLimit`) is dropped; ADDED/MODIFIED not
 *   newer than the horizon (the rv up to which the cache is known complete: the last list's, or
 *   the last event's) is dropped, since the list did not have the object, so it was deleted by
 *   then; DELETED applies (an object deleted while the service was away, or before the list: the
 *   handlers see its last state once).
 * - A list: gone → delete (tombstoned at the list's rv), new → add, newer → update, same →
 *   update(old, old) on resync only (Kubernetes resync semantics). Cached objects newer than the
 *   list are kept; listed objects not newer than their tombstone are skipped.
 */

/** One change of the cache, for the handlers. */
export type CacheChange<T> =
  | { readonly kind: "add"; readonly key: string; readonly obj: T }
  | { readonly kind: "update"; readonly key: string; readonly oldObj: T; readonly newObj: T }
  | { readonly kind: "delete"; readonly key: string; readonly obj: T };

/** What became of an event. */
export type EventOutcome<T> =
  | { readonly result: "applied"; readonly change: CacheChange<T> }
  | { readonly result: "duplicate" | "stale" };

/** An object with its address and resourceVersion, as events and lists give them. */
export interface CacheItem<T> {
  /** `""` for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
  readonly rv: bigint;
  readonly obj: T;
}

/** Options of {@link InformerCache}. */
export interface InformerCacheOptions {
  /** Keys are `namespace/name` for namespaced resources, `name` otherwise. */
  readonly namespaced: boolean;
  /** Most deleted keys remembered; default 10000. */
  readonly tombstoneLimit?: number;
}

/** The objects of one resource, by key, with the state needed to judge events. */
export class InformerCache<T> {
  readonly #namespaced: boolean;
  readonly #tombstoneLimit: number;
  readonly #objects = new Map<string, { obj: T; rv: bigint; namespace: string }>();
  readonly #tombstones = new Map<string, bigint>();
  #horizon = 0n;

  constructor(options: InformerCacheOptions) {
    this.#namespaced = options.namespaced;
    this.#tombstoneLimit = options.tombstoneLimit ?? 10_000;
  }

  /** The cache key of an object (Kubernetes' `MetaNamespaceKeyFunc`). */
  key(namespace: string, name: string): string {
    return this.#namespaced && namespace !== "" ? `${namespace}/${name}` : name;
  }

  get(namespace: string, name: string): T | undefined {
    return this.#objects.get(this.key(namespace, name))?.obj;
  }

  /** Cached objects, all or those of one namespace. */
  list(namespace?: string): T[] {
    const out: T[] = [];
    for (const e of this.#objects.values()) {
      if (namespace === undefined || e.namespace === namespace) out.push(e.obj);
    }
    return out;
  }

  get size(): number {
    return this.#objects.size;
  }

  /** The resourceVersion up to which the cache is known complete. */
  get horizon(): bigint {
    return this.#horizon;
  }

  /** Judges and, when it applies, applies one event. */
  applyEvent(type: "ADDED" | "MODIFIED" | "DELETED", item: CacheItem<T>): EventOutcome<T> {
    const key = this.key(item.namespace, item.name);
    const { rv, obj } = item;
    const before = this.#horizon;
    if (rv > this.#horizon) this.#horizon = rv;
    const cur = this.#objects.get(key);
    if (cur !== undefined) {
      if (rv <= cur.rv) return { result: rv === cur.rv ? "duplicate" : "stale" };
      if (type === "DELETED") {
        this.#objects.delete(key);
        this.#tombstone(key, rv);
        return { result: "applied", change: { kind: "delete", key, obj } };
      }
      this.#objects.set(key, { obj, rv, namespace: item.namespace });
      return { result: "applied", change: { kind: "update", key, oldObj: cur.obj, newObj: obj } };
    }
    const gone = this.#tombstones.get(key);
    if (gone !== undefined && rv <= gone) return { result: rv === gone ? "duplicate" : "stale" };
    if (type === "DELETED") {
      this.#tombstone(key, rv);
      return { result: "applied", change: { kind: "delete", key, obj } };
    }
    // Not in the list the cache was filled from, nor added since: deleted by then.
    if (gone === undefined && rv <= before) return { result: "stale" };
    this.#tombstones.delete(key);
    this.#objects.set(key, { obj, rv, namespace: item.namespace });
    return { result: "applied", change: { kind: "add", key, obj } };
  }

  /** Reconciles the cache with a list taken at `listRv`; returns the changes in order. */
  reconcile(items: readonly CacheItem<T>[], listRv: bigint, resync: boolean): CacheChange<T>[] {
    const changes: CacheChange<T>[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      const key = this.key(item.namespace, item.name);
      seen.add(key);
      const cur = this.#objects.get(key);
      if (cur === undefined) {
        const gone = this.#tombstones.get(key);
        if (gone !== undefined && item.rv <= gone) continue; // a list older than a deletion we saw
        this.#tombstones.delete(key);
        this.#objects.set(key, { obj: item.obj, rv: item.rv, namespace: item.namespace });
        changes.push({ kind: "add", key, obj: item.obj });
      } else if (item.rv > cur.rv) {
        this.#objects.set(key, { obj: item.obj, rv: item.rv, namespace: item.namespace });
        changes.push({ kind: "update", key, oldObj: cur.obj, newObj: item.obj });
      } else if (resync) {
        changes.push({ kind: "update", key, oldObj: cur.obj, newObj: cur.obj });
      }
    }
    for (const [key, cur] of [...this.#objects]) {
      if (seen.has(key) || cur.rv > listRv) continue; // newer than the list: keep
      this.#objects.delete(key);
      this.#tombstone(key, listRv);
      changes.push({ kind: "delete", key, obj: cur.obj });
    }
    if (listRv > this.#horizon) this.#horizon = listRv;
    return changes;
  }

  #tombstone(key: string, rv: bigint): void {
    this.#tombstones.delete(key);
    this.#tombstones.set(key, rv);
    if (this.#tombstones.size > this.#tombstoneLimit) {
      const oldest = this.#tombstones.keys().next().value;
      if (oldest !== undefined) this.#tombstones.delete(oldest);
    }
  }
}
