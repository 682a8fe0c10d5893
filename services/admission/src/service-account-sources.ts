/**
 * Where the plugin's ServiceAccount lookup (reference §3.4) reads from, over the apiserver's gRPC
 * API with the service's own certificate (user `tokenplane:admission`, which RBAC lets only get,
 * list and watch serviceaccounts):
 * - the cache: an informer that lists ServiceAccounts once and then follows their lifecycle
 *   events on NATS (Kubernetes' `serviceAccountLister`, fed by a watch there);
 * - the live read on a cache miss: `ObjectService.Get` (Kubernetes' `client.CoreV1().ServiceAccounts(ns).Get`).
 */
import { isNotFound, resourceFor } from "@tokenplane/apimachinery";
import type { corev1 } from "@tokenplane/proto";
import {
  type ApiserverClient,
  createInformer,
  type Informer,
  type InformerOptions,
  type Logger,
  type NatsHandles,
} from "@tokenplane/runtime";
import type { ServiceAccountClient, ServiceAccountLister } from "./plugin/index.js";

/** The durable consumer of the informer's events (one per service and resource). */
export const SERVICE_ACCOUNTS_DURABLE = "admission-serviceaccounts";

const serviceAccounts = resourceFor("", "serviceaccounts");
if (serviceAccounts === undefined) throw new TypeError("serviceaccounts missing from the resource registry");

/** The live read: the stored account, `undefined` on NotFound; other failures reject. */
export function serviceAccountClient(objects: ApiserverClient["objects"]): ServiceAccountClient {
  return {
    async get(namespace, name) {
      try {
        const obj = await objects.get({ group: "", resource: "serviceaccounts", namespace, name });
        if (obj.object.case !== "serviceAccount") {
          throw new TypeError(`apiserver answered a serviceaccounts get with a ${String(obj.object.case)}`);
        }
        return obj.object.value;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
  };
}

/** What {@link serviceAccountInformer} needs. */
export interface ServiceAccountInformerOptions {
  /** Lists all ServiceAccounts (`ObjectService.List`, all namespaces). */
  readonly objects: ApiserverClient["objects"];
  /** The JetStream handles the events come from (`rt.connectNats()`). */
  readonly nats: Pick<NatsHandles, "js" | "jsm">;
  readonly log: Logger;
  /** Registers the informer's event and relist counters. */
  readonly metrics?: InformerOptions["metrics"];
  /** Durable consumer name; default {@link SERVICE_ACCOUNTS_DURABLE}. */
  readonly durable?: string;
  /** Re-list this often, milliseconds; 0 (default) = never. */
  readonly resyncMs?: number;
}

/** The ServiceAccount cache of every namespace; not started. */
export function serviceAccountInformer(
  options: ServiceAccountInformerOptions,
): Informer<corev1.ServiceAccount> {
  const { objects } = options;
  return createInformer<corev1.ServiceAccount>({
    info: serviceAccounts!,
    list: async (signal) => {
      // One unpaged list: pages would each read current data (registry/list.ts), and the whole
      // set of accounts is small next to the pods that need them.
      const res = await objects.list({ group: "", resource: "serviceaccounts" }, { signal });
      const items: corev1.ServiceAccount[] = [];
      for (const obj of res.items) {
        if (obj.object.case === "serviceAccount") items.push(obj.object.value);
      }
      return { items, resourceVersion: res.resourceVersion };
    },
    events: {
      js: options.nats.js,
      jsm: options.nats.jsm,
      durable: options.durable ?? SERVICE_ACCOUNTS_DURABLE,
    },
    log: options.log,
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    ...(options.resyncMs === undefined ? {} : { resyncMs: options.resyncMs }),
  });
}

/** The running cache: the plugin's lister, plus its state. */
export interface ServiceAccountCache extends ServiceAccountLister {
  /** True once the informer's first list is in the cache; until then every lookup is a live read. */
  hasSynced(): boolean;
  /** Stops following events (the shutdown closer). */
  stop(): Promise<void>;
}

/** What {@link startServiceAccountCache} needs. */
export interface ServiceAccountCacheOptions extends Omit<ServiceAccountInformerOptions, "nats"> {
  /** Connects to NATS (`rt.connectNats`); may take as long as NATS is away. */
  readonly connectNats: () => Promise<Pick<NatsHandles, "js" | "jsm">>;
}

/**
 * Starts the cache in the background and returns its lister at once. The service serves from the
 * start: before the cache has synced (NATS or the apiserver not there yet — the stack starts
 * admission before the apiserver, and the apiserver needs admission to be up), a lookup misses
 * and the plugin reads the account live, which is what Kubernetes' plugin does too (its Admit
 * does not wait for the informer). A cache that cannot start is logged; lookups then stay live.
 */
export function startServiceAccountCache(options: ServiceAccountCacheOptions): ServiceAccountCache {
  const { log } = options;
  let informer: Informer<corev1.ServiceAccount> | undefined;
  let stopped = false;
  void (async () => {
    const nats = await options.connectNats();
    if (stopped) return;
    informer = serviceAccountInformer({ ...options, nats });
    await informer.start();
  })().catch((err: unknown) => {
    if (stopped) return;
    log.error({ err }, "the serviceaccount cache did not start; every lookup reads the apiserver");
  });
  return {
    get: (namespace, name) => informer?.get(namespace, name),
    hasSynced: () => informer?.hasSynced() ?? false,
    async stop() {
      stopped = true;
      await informer?.stop();
    },
  };
}
