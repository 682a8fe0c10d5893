/**
 * The controllers' view of the apiserver: typed get / list / create / update / patch / delete of
 * the five core kinds they touch, over the apiserver's gRPC ObjectService (KubeObject envelopes).
 * Failures are the apiserver's `StatusError`s (NotFound, Conflict, AlreadyExists, ...), so the
 * controllers test them with `isNotFound` and friends, as Kubernetes' controllers do with
 * `apierrors`. Unit tests give the controllers an in-memory implementation instead
 * (`testing/fake-cluster.ts`).
 */
import { type ResourceInfo, resourceFor, unwrap, wrap } from "@tokenplane/apimachinery";
import type { corev1 } from "@tokenplane/proto";
import type { ApiserverClient } from "@tokenplane/runtime";

/** The kinds the controllers read or write, by plural resource name. */
export interface CoreKinds {
  namespaces: corev1.Namespace;
  serviceaccounts: corev1.ServiceAccount;
  secrets: corev1.Secret;
  configmaps: corev1.ConfigMap;
  pods: corev1.Pod;
}

/** A plural resource name of {@link CoreKinds}. */
export type CoreResource = keyof CoreKinds;

/** Delete preconditions (metav1.Preconditions): the delete fails with 409 Conflict when they do not hold. */
export interface Preconditions {
  readonly uid?: string;
  readonly resourceVersion?: string;
}

/** A list of one resource with the resourceVersion it was taken at. */
export interface ObjectList<T> {
  readonly items: T[];
  readonly resourceVersion: string;
}

/** What the controllers call on the apiserver. */
export interface ObjectClient {
  get<R extends CoreResource>(resource: R, namespace: string, name: string): Promise<CoreKinds[R]>;
  /** Every object of `resource` (in `namespace`, or all), read page by page. */
  list<R extends CoreResource>(
    resource: R,
    namespace?: string,
    signal?: AbortSignal,
  ): Promise<ObjectList<CoreKinds[R]>>;
  create<R extends CoreResource>(resource: R, object: CoreKinds[R]): Promise<CoreKinds[R]>;
  /** Replaces the object; its `metadata.resourceVersion` is the optimistic-concurrency check. */
  update<R extends CoreResource>(resource: R, object: CoreKinds[R]): Promise<CoreKinds[R]>;
  /** A JSON merge patch (`application/merge-patch+json`). */
  mergePatch<R extends CoreResource>(
    resource: R,
    namespace: string,
    name: string,
    patch: string,
  ): Promise<CoreKinds[R]>;
  delete(
    resource: CoreResource,
    namespace: string,
    name: string,
    preconditions?: Preconditions,
  ): Promise<void>;
}

/** The registry entry of a core resource. */
export function coreResource(resource: CoreResource): ResourceInfo {
  const info = resourceFor("", resource);
  if (info === undefined) throw new TypeError(`unknown resource ${resource}`);
  return info;
}

/** Items per List page; the informers list whole resources at start-up and resync. */
const LIST_PAGE_SIZE = 500;

/** The {@link ObjectClient} over the apiserver's gRPC ObjectService. */
export function grpcObjectClient(api: ApiserverClient): ObjectClient {
  const { objects } = api;
  return {
    async get(resource, namespace, name) {
      const obj = await objects.get({ group: "", resource, namespace, name });
      return unwrap(obj).object as never;
    },
    async list(resource, namespace = "", signal) {
      const items: never[] = [];
      let continueToken = "";
      let resourceVersion = "";
      do {
        const page = await objects.list(
          { group: "", resource, namespace, limit: BigInt(LIST_PAGE_SIZE), continueToken },
          signal === undefined ? {} : { signal },
        );
        // The first page's resourceVersion is the snapshot every page is read from.
        if (resourceVersion === "") resourceVersion = page.resourceVersion;
        for (const item of page.items) items.push(unwrap(item).object as never);
        continueToken = page.continueToken;
      } while (continueToken !== "");
      return { items, resourceVersion };
    },
    async create(resource, object) {
      const created = await objects.create({ object: wrap(coreResource(resource), object) });
      return unwrap(created).object as never;
    },
    async update(resource, object) {
      const updated = await objects.update({ object: wrap(coreResource(resource), object) });
      return unwrap(updated).object as never;
    },
    async mergePatch(resource, namespace, name, patch) {
      const patched = await objects.patch({
        group: "",
        resource,
        namespace,
        name,
        patchType: "application/merge-patch+json",
        patch: new TextEncoder().encode(patch),
      });
      return unwrap(patched).object as never;
    },
    async delete(resource, namespace, name, preconditions) {
      await objects.delete({
        group: "",
        resource,
        namespace,
        name,
        ...(preconditions === undefined ? {} : { options: { preconditions: { ...preconditions } } }),
      });
    },
  };
}
