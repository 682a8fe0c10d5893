/**
 * Keeps a local copy of one resource current through the registry, the way client-go's reflector
 * does: list, then watch from the list's resourceVersion; on a watch error (410 Expired, a
 * closed stream) list again, with back-off while the registry keeps failing.
 */
import { metadataOf, type ResourceInfo, type StoredObject } from "@tokenplane/apimachinery";
import { backoffDelay, type Logger } from "@tokenplane/runtime";
import type { Registry } from "../../registry/registry.js";

/** What an informer reports to its owner. */
export interface InformerHandlers {
  /** The full set after a (re)list; replaces everything known. */
  replace(items: StoredObject[]): void;
  upsert(obj: StoredObject): void;
  remove(obj: StoredObject): void;
}

/** Options of {@link runInformer}. */
export interface InformerOptions {
  registry: Pick<Registry, "list" | "watch">;
  info: ResourceInfo;
  handlers: InformerHandlers;
  log: Pick<Logger, "warn" | "debug">;
  /** Stops the loop. */
  signal: AbortSignal;
  /** First retry delay after a failed list, milliseconds; default 100. */
  retryBaseMs?: number;
  /** Longest retry delay, milliseconds; default 5000. */
  retryMaxMs?: number;
}

/** Resolves when `signal` aborts or `ms` pass. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Runs the list/watch loop until `signal` aborts. The returned `synced` promise resolves after
 * the first successful list (rejects only if aborted first); `done` when the loop has stopped.
 */
export function runInformer(options: InformerOptions): { synced: Promise<void>; done: Promise<void> } {
  const { registry, info, handlers, log, signal } = options;
  const baseMs = options.retryBaseMs ?? 100;
  const maxMs = options.retryMaxMs ?? 5000;
  let markSynced!: () => void;
  let failSync!: (err: Error) => void;
  const synced = new Promise<void>((resolve, reject) => {
    markSynced = resolve;
    failSync = reject;
  });
  // A caller that never awaits `synced` (abort before the first list) must not see an unhandled rejection.
  synced.catch(() => {});

  const loop = async () => {
    let failures = 0;
    while (!signal.aborted) {
      let resourceVersion: string;
      try {
        const list = await registry.list(info, "");
        handlers.replace(list.items);
        resourceVersion = list.resourceVersion;
        markSynced();
        failures = 0;
      } catch (err) {
        failures++;
        log.warn({ err, resource: info.resource }, "authorization index: list failed; retrying");
        await pause(backoffDelay(failures, baseMs, maxMs), signal);
        continue;
      }
      try {
        for await (const ev of registry.watch(info, "", { resourceVersion, signal })) {
          if (ev.type === "BOOKMARK") continue;
          if (ev.type === "ERROR") {
            log.debug(
              { resource: info.resource, status: ev.status },
              "authorization index: watch error; relisting",
            );
            break;
          }
          if (ev.type === "DELETED") handlers.remove(ev.object);
          else handlers.upsert(ev.object);
          resourceVersion = metadataOf(ev.object).resourceVersion || resourceVersion;
        }
      } catch (err) {
        if (signal.aborted) break;
        log.warn({ err, resource: info.resource }, "authorization index: watch failed; relisting");
      }
      // A watch that ended (an ERROR event, a closed stream) is followed by a relist; pausing
      // first keeps a registry that ends every watch at once from being listed in a tight loop.
      await pause(baseMs, signal);
    }
    failSync(new Error(`informer for ${info.resource} stopped before its first list`));
  };
  return { synced, done: loop() };
}
