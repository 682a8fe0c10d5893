/**
 * The object registry: Kubernetes API semantics over the storage interface, for every stored
 * kind (strategies, validation, defaulting, optimistic concurrency, graceful deletion, namespace
 * lifecycle, watch). It does no authorization — the request handlers (gRPC and HTTPS) authorize
 * first and then call it — but it runs admission at the point Kubernetes does.
 *
 * Every method fails with a `StatusError` carrying Kubernetes' Status (404 `<resource> "<name>"
 * not found`, 409 AlreadyExists/Conflict, 422 Invalid, 400, 403, 410); storage failures become 500.
 * Objects passed in are never mutated; objects returned are fresh copies.
 */
import type {
  FieldSelector,
  LabelSelector,
  ResourceInfo,
  Status,
  StoredObject,
} from "@tokenplane/apimachinery";
import type { RequestContext, UserInfo } from "../request/context.js";

/** Options of {@link Registry.get}. */
export interface GetOptions {
  /** Ignored: reads always return the latest state (Kubernetes' "" and "0" both allow that). */
  resourceVersion?: string;
}

/** Options of {@link Registry.list}. */
export interface ListOptions {
  labelSelector?: LabelSelector;
  /** Only `metadata.name`, `metadata.namespace` (namespaced kinds) and the kind's selectable fields; others are 400. */
  fieldSelector?: FieldSelector;
  /**
   * Absent/"" = latest; "0" = any; otherwise not older than this. Reads are always of the latest
   * state, so only a revision the store has not reached fails (504 `Too large resource version`).
   * Ignored with `continue`.
   */
  resourceVersion?: string;
  /** Page size in matching objects (0 or absent = all). */
  limit?: number;
  /**
   * Opaque continue token from a previous page (Kubernetes' format). Pages are read at the current
   * revision, not at the first page's: see ListResult.resourceVersion. 410 when the first page's
   * revision is older than the kept history.
   */
  continue?: string;
}

/** A page of {@link Registry.list}. */
export interface ListResult {
  items: StoredObject[];
  /**
   * `metadata.resourceVersion` of the list: the store revision of the first page (every page of a
   * paged list repeats it), so a watch from it replays every change made since the list began.
   */
  resourceVersion: string;
  /** Token for the next page, when `limit` cut the list. */
  continue?: string;
  /** Not computed (Kubernetes also omits it when selectors are used). */
  remainingItemCount?: number;
}

/** Options of {@link Registry.watch}. */
export interface WatchOptions {
  labelSelector?: LabelSelector;
  /** As for list; an unsupported field label throws 400 before the stream starts. */
  fieldSelector?: FieldSelector;
  /**
   * Start after this revision; absent/"" = synthetic ADDED for current objects, then live; "0" =
   * same. Older than the kept history: a single ERROR event (410 Expired
   * `too old resource version: <asked> (<oldest>)`) ends the stream.
   */
  resourceVersion?: string;
  /** Send BOOKMARK events carrying the last revision seen (every `bookmarkIntervalMs`). */
  allowBookmarks?: boolean;
  /** Milliseconds between bookmarks; default 60 000. */
  bookmarkIntervalMs?: number;
  /** Ends the stream (the iteration then finishes without an error). */
  signal: AbortSignal;
}

/**
 * One watch event. With selectors, an object moving into the selection is ADDED and one moving
 * out is DELETED (with its previous content at the event's revision), as Kubernetes' watch cache
 * does. DELETED objects carry their last state with the deletion's revision.
 */
export type WatchEvent =
  | { type: "ADDED" | "MODIFIED" | "DELETED"; object: StoredObject }
  | { type: "BOOKMARK"; resourceVersion: string }
  | { type: "ERROR"; status: Status };

/** Options of every write. */
export interface WriteOptions {
  /** Run every step (admission with dryRun set, validation, conflict checks) except the write. */
  dryRun?: boolean;
  /** Accepted and ignored: managed fields are not modelled. */
  fieldManager?: string;
}

/** Options of {@link Registry.update} and {@link Registry.guaranteedUpdate}. */
export interface UpdateOptions extends WriteOptions {
  /**
   * "" (the main resource), "status" (pods, nodes, namespaces), "ephemeralcontainers" (pods) or
   * "finalize" (namespaces); any other is 404.
   */
  subresource?: string;
}

/** Options of {@link Registry.delete}. */
export interface DeleteOptions extends WriteOptions {
  /**
   * Seconds of grace for kinds with graceful deletion (pods): absent = the pod's
   * terminationGracePeriodSeconds; 0 = remove now; negative = 1. A later delete may only shorten it.
   */
  gracePeriodSeconds?: number;
  /** 409 when the stored uid / resourceVersion differ. */
  preconditions?: { uid?: string; resourceVersion?: string };
  /** Orphan | Background | Foreground (accepted; dependents are not modelled). */
  propagationPolicy?: string;
}

export interface DeleteResult {
  /** The object as deleted (last state), or as marked for deletion. */
  object: StoredObject;
  /** True when the object is gone; false while graceful deletion or finalizers keep it. */
  finished: boolean;
}

/**
 * The admission call-out: Kubernetes runs mutating + validating admission between defaulting and
 * validation. The registry calls it for every CREATE and UPDATE of every kind and subresource
 * (after defaulting and the NamespaceLifecycle check, before PrepareForCreate/Update and
 * validation); an implementation that only cares about pods returns other objects unchanged.
 */
export interface AdmissionController {
  /** Returns the (possibly mutated) object, or throws a StatusError (403 Forbidden, 500 when unreachable). */
  admit(request: {
    operation: "CREATE" | "UPDATE";
    info: ResourceInfo;
    subresource: string;
    namespace: string;
    name: string;
    object: StoredObject;
    oldObject?: StoredObject;
    user: UserInfo;
    dryRun: boolean;
  }): Promise<StoredObject>;
}

/** Kubernetes API semantics for the stored kinds (see README.md for the details and the departures). */
export interface Registry {
  /** The latest state of an object; 404 when missing. */
  get(info: ResourceInfo, namespace: string, name: string, options?: GetOptions): Promise<StoredObject>;
  /** Objects of a resource in a namespace ("" = all namespaces, and always for cluster-scoped kinds). */
  list(info: ResourceInfo, namespace: string, options?: ListOptions): Promise<ListResult>;
  /**
   * Creates an object in `namespace` (ignored for cluster-scoped kinds; a different body namespace
   * is 400). Sets uid, creationTimestamp, a generated name; 404/403 for a missing/terminating
   * namespace; 409 when it exists. Warnings go to `ctx.warnings`.
   */
  create(
    ctx: RequestContext,
    info: ResourceInfo,
    namespace: string,
    object: StoredObject,
    options?: WriteOptions,
  ): Promise<StoredObject>;
  /**
   * Replaces an object (PUT). A stale `metadata.resourceVersion` is 409; an empty one overwrites
   * the latest where the kind allows unconditional updates. A missing object is 404, or created
   * for kinds that allow create-on-update (RBAC).
   */
  update(
    ctx: RequestContext,
    info: ResourceInfo,
    namespace: string,
    name: string,
    object: StoredObject,
    options?: UpdateOptions,
  ): Promise<StoredObject>;
  /** {@link update}, also saying whether the PUT created the object (Kubernetes answers 201 then). */
  replace(
    ctx: RequestContext,
    info: ResourceInfo,
    namespace: string,
    name: string,
    object: StoredObject,
    options?: UpdateOptions,
  ): Promise<{ object: StoredObject; created: boolean }>;
  /**
   * Read-modify-write with retries on conflict (Kubernetes' GuaranteedUpdate): `mutate` gets the
   * current object and returns the new one (or throws a StatusError). Used by PATCH and by
   * internal updates such as the legacy-token last-used label.
   */
  guaranteedUpdate(
    ctx: RequestContext,
    info: ResourceInfo,
    namespace: string,
    name: string,
    mutate: (current: StoredObject) => StoredObject | Promise<StoredObject>,
    options?: UpdateOptions,
  ): Promise<StoredObject>;
  /**
   * Deletes an object, or starts its deletion: graceful pods and objects with finalizers get a
   * deletionTimestamp (finished false); a namespace is first marked Terminating and is removed by
   * the namespace controller once empty.
   */
  delete(
    ctx: RequestContext,
    info: ResourceInfo,
    namespace: string,
    name: string,
    options?: DeleteOptions,
  ): Promise<DeleteResult>;
  /** Deletes every object the list options select (NotFound ignored); returns them as deleted or marked. */
  deleteCollection(
    ctx: RequestContext,
    info: ResourceInfo,
    namespace: string,
    listOptions: ListOptions,
    options?: DeleteOptions,
  ): Promise<StoredObject[]>;
  /**
   * Changes to a resource in a namespace ("" = all). Malformed selectors or resourceVersion throw
   * a StatusError at once; everything later arrives as events.
   */
  watch(info: ResourceInfo, namespace: string, options: WatchOptions): AsyncIterable<WatchEvent>;
}
