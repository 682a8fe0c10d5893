/**
 * The part of kube-controller-manager's namespace controller the apiserver needs
 * (pkg/controller/namespace/deletion/namespaced_resources_deleter.go): for every namespace being
 * deleted, delete all namespaced objects in it (pods gracefully, like any delete), and when
 * nothing is left remove the `kubernetes` spec finalizer through `/finalize`, which removes the
 * namespace (reference §8; NamespaceLifecycle keeps new content out meanwhile). Also
 * {@link ensureSystemNamespaces}, the bootstrap of the four system namespaces.
 *
 * It re-scans all namespaces when it starts (so a restart mid-deletion finishes the job), then
 * follows a watch; a namespace with content still terminating is checked again every
 * `retryIntervalMs`.
 */
import { create } from "@bufbuild/protobuf";
import {
  isAlreadyExists,
  isConflict,
  isNotFound,
  type ResourceInfo,
  resourceFor,
  type StoredObject,
  storedResources,
} from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import type { Clock, Logger } from "@tokenplane/runtime";
import { systemContext } from "../request/context.js";
import type { Storage } from "../storage/storage.js";
import { keyPrefix } from "./keys.js";
import type { Registry } from "./registry.js";
import { namespaceFinalizer } from "./strategies/namespace.js";

/** The namespaces every cluster has (created at start-up when missing). */
export const systemNamespaces: readonly string[] = [
  "default",
  "kube-system",
  "kube-public",
  "kube-node-lease",
];

const NAMESPACES: ResourceInfo = resourceFor("", "namespaces")!;
/** Every stored namespaced kind: what a namespace deletion must remove. */
const namespacedResources: readonly ResourceInfo[] = storedResources.filter((r) => r.namespaced);

/** Options of {@link startNamespaceController}. */
export interface NamespaceControllerOptions {
  registry: Registry;
  /** Read directly to check cheaply that a namespace is empty. */
  storage: Storage;
  /** Drives the re-check delay (tests use a FakeClock). */
  clock: Clock;
  log: Logger;
  /** Delay before checking a namespace again while its content is still going away (ms, default 2000). */
  retryIntervalMs?: number;
}

/** A running namespace controller. */
export interface NamespaceController {
  /** Stops watching and working; resolves when both loops have ended. */
  stop(): Promise<void>;
}

const isTerminating = (ns: StoredObject): boolean => {
  const n = ns as corev1.Namespace;
  return !!n.metadata?.deletionTimestamp && (n.spec?.finalizers ?? []).includes(namespaceFinalizer);
};

/** Starts the controller. */
export function startNamespaceController(options: NamespaceControllerOptions): NamespaceController {
  const { registry, storage, clock, log } = options;
  const retryMs = options.retryIntervalMs ?? 2000;
  const stopping = new AbortController();
  const signal = stopping.signal;
  const queue = new Set<string>();
  const waitingRetry = new Set<string>();
  let wake: (() => void) | undefined;

  const enqueue = (name: string) => {
    queue.add(name);
    wake?.();
  };
  const retryLater = (name: string) => {
    if (waitingRetry.has(name)) return;
    waitingRetry.add(name);
    clock.sleep(retryMs, signal).then(
      () => {
        waitingRetry.delete(name);
        enqueue(name);
      },
      () => waitingRetry.delete(name),
    );
  };

  /** Deletes what is left in a namespace; true when it must be checked again. */
  async function sync(name: string): Promise<boolean> {
    const ctx = systemContext();
    let ns: StoredObject;
    try {
      ns = await registry.get(NAMESPACES, "", name);
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    if (!isTerminating(ns)) return false;
    let remaining = 0;
    for (const info of namespacedResources) {
      const { items } = await registry.list(info, name);
      for (const item of items) {
        try {
          const r = await registry.delete(ctx, info, name, item.metadata?.name ?? "");
          if (!r.finished) remaining++;
        } catch (err) {
          if (isNotFound(err)) continue;
          if (isConflict(err)) {
            remaining++;
            continue;
          }
          throw err;
        }
      }
    }
    // Content that slipped in around the list (a create admitted just before termination).
    for (const info of namespacedResources) {
      if ((await storage.range(keyPrefix(info, name), { limit: 1 })).kvs.length) remaining++;
    }
    if (remaining > 0) {
      log.debug({ namespace: name, remaining }, "namespace content still being deleted");
      return true;
    }
    try {
      await registry.guaranteedUpdate(
        ctx,
        NAMESPACES,
        "",
        name,
        (cur) => {
          const n = cur as corev1.Namespace;
          if (n.spec) n.spec.finalizers = n.spec.finalizers.filter((f) => f !== namespaceFinalizer);
          return n;
        },
        { subresource: "finalize" },
      );
      log.info({ namespace: name }, "namespace finalized");
    } catch (err) {
      // Another controller finished it first.
      if (!isNotFound(err)) throw err;
    }
    return false;
  }

  const worker = (async () => {
    while (!signal.aborted) {
      const next = queue.values().next();
      if (next.done) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          signal.addEventListener("abort", () => resolve(), { once: true });
        });
        wake = undefined;
        continue;
      }
      const name = next.value;
      queue.delete(name);
      try {
        if (await sync(name)) retryLater(name);
      } catch (err) {
        if (signal.aborted) return;
        log.warn({ err, namespace: name }, "namespace deletion failed; will retry");
        retryLater(name);
      }
    }
  })();

  const watcher = (async () => {
    while (!signal.aborted) {
      try {
        // Re-scan on every (re)start of the watch: nothing is missed across restarts or 410s.
        const list = await registry.list(NAMESPACES, "");
        for (const ns of list.items) if (isTerminating(ns)) enqueue(ns.metadata!.name);
        for await (const ev of registry.watch(NAMESPACES, "", {
          resourceVersion: list.resourceVersion,
          signal,
        })) {
          if (ev.type === "ERROR") break;
          if ((ev.type === "ADDED" || ev.type === "MODIFIED") && isTerminating(ev.object))
            enqueue(ev.object.metadata!.name);
        }
      } catch (err) {
        if (signal.aborted) return;
        log.warn({ err }, "namespace watch failed; listing again");
        await clock.sleep(retryMs, signal).catch(() => {});
      }
    }
  })();

  return {
    async stop() {
      stopping.abort();
      await Promise.allSettled([worker, watcher]);
    },
  };
}

/** Creates `default`, `kube-system`, `kube-public` and `kube-node-lease` when missing. */
export async function ensureSystemNamespaces(registry: Registry): Promise<void> {
  for (const name of systemNamespaces) {
    try {
      await registry.create(
        systemContext(),
        NAMESPACES,
        "",
        create(corev1.NamespaceSchema, { metadata: { name } }),
      );
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
}
