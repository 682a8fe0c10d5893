/**
 * The informer: a local cache of one resource, like Kubernetes' shared informer, but fed by the
 * lifecycle events on NATS instead of a watch (DESIGN.md "Events": list over gRPC, then follow
 * events from that resourceVersion, with periodic resync).
 *
 * 1. Start consuming the resource's events through a durable consumer (one per service and
 *    resource: events that happen while the service is down wait for it); they are held back.
 * 2. List (retried with back-off until it succeeds); the list fills the cache.
 * 3. Apply events in stream order, by the rules of `informer-cache.ts` (newer than the cache
 *    applies; duplicates, stale events and late events for deleted objects are dropped).
 * 4. Re-list on resync (every `resyncMs`) and when the consumer's loop had to be re-created (it
 *    may have skipped events).
 *
 * Handlers run one at a time, in event order, awaited (so per object in order); a throwing
 * handler is logged and counted, never fatal, and the event still counts as applied.
 */
import { type ResourceInfo, type StoredObject, unwrap } from "@tokenplane/apimachinery";
import { tokenplanev1 } from "@tokenplane/proto";
import type { JetStreamClient, JetStreamManager } from "nats";
import { Counter, type Registry } from "prom-client";
import { backoffDelay } from "./backoff.js";
import { type Clock, systemClock } from "./clock.js";
import type { DurableConsumer } from "./consume-durable.js";
import { type CacheChange, type CacheItem, InformerCache } from "./informer-cache.js";
import {
  EVENTS_STREAM,
  lifecycleEvents,
  namespaceEventsFilter,
  parseResourceVersion,
  resourceEventsFilter,
} from "./lifecycle-events.js";
import type { Logger } from "./logger.js";

/** What the informer lists: the objects and the resourceVersion the list was taken at. */
export interface InformerList<T extends StoredObject = StoredObject> {
  readonly items: readonly T[];
  readonly resourceVersion: string;
}

/** Options of {@link createInformer}. */
export interface InformerOptions<T extends StoredObject = StoredObject> {
  /** The resource cached. */
  readonly info: ResourceInfo;
  /** Only this namespace; default all namespaces (and cluster-scoped resources). */
  readonly namespace?: string;
  /**
   * Lists the resource (in `namespace`, when given), usually `ObjectService.List` over gRPC.
   * `signal` aborts when the informer stops.
   */
  readonly list: (signal: AbortSignal) => Promise<InformerList<T>>;
  /** Where the events come from. */
  readonly events: {
    readonly js: JetStreamClient;
    readonly jsm: JetStreamManager;
    /** Durable consumer name, one per service and resource (`token-controller-serviceaccounts`). */
    readonly durable: string;
    /** Stream; default `TOKENPLANE_EVENTS`. */
    readonly stream?: string;
    /** Events the server hands out before the first is acknowledged; default 64. */
    readonly maxAckPending?: number;
    /**
     * Redeliver an event not acknowledged within this time, milliseconds; default 30000. After a
     * NATS crash the server may have lost the latest acknowledgements and redelivers after it.
     */
    readonly ackWaitMs?: number;
  };
  /** Re-list this often, milliseconds; 0 (default) = never. */
  readonly resyncMs?: number;
  /** Time for resync and list retries; default the system clock. */
  readonly clock?: Clock;
  readonly log: Logger;
  /** Registers `tokenplane_informer_events_total` and `tokenplane_informer_relists_total`. */
  readonly metrics?: Registry;
  /** Most deleted keys remembered (oldest forgotten first); default 10000. */
  readonly tombstoneLimit?: number;
  /** First and largest pause between failed list attempts, milliseconds; default 250 and 10000. */
  readonly listRetryBaseMs?: number;
  readonly listRetryMaxMs?: number;
}

/** Counters of what the informer did (also exported as metrics when a registry is given). */
export interface InformerStats {
  /** Events that changed the cache and ran handlers. */
  eventsApplied: number;
  /** Events with the resourceVersion the cache already holds (redeliveries, republishes). */
  eventsDuplicate: number;
  /** Events older than the cache, a tombstone or the horizon. */
  eventsStale: number;
  /** Lists taken (start, resync, restart). */
  relists: number;
  /** Handler calls that threw. */
  handlerErrors: number;
}

/** A running informer. */
export interface Informer<T extends StoredObject = StoredObject> {
  /**
   * Starts consuming, lists (retrying until it succeeds) and resolves once the list is in the
   * cache. Can be called again after {@link stop}: the cache is kept and brought up to date.
   */
  start(): Promise<void>;
  /** True once the first list of the current start is in the cache. */
  hasSynced(): boolean;
  /** The cached object, if any (`namespace` `""` for cluster-scoped resources). */
  get(namespace: string, name: string): T | undefined;
  /** Cached objects, all or those of one namespace. */
  list(namespace?: string): T[];
  /** Handlers must be registered before {@link start} (TypeError after). */
  onAdd(handler: (obj: T) => void | Promise<void>): void;
  onUpdate(handler: (oldObj: T, newObj: T) => void | Promise<void>): void;
  onDelete(handler: (obj: T) => void | Promise<void>): void;
  /** Counters so far. */
  stats(): Readonly<InformerStats>;
  /**
   * Stops consuming and resyncing; an event being handled is released for redelivery. Do not
   * await it from inside a handler (it waits for the handler).
   */
  stop(): Promise<void>;
}

const eventTypeNames = new Map<tokenplanev1.EventType, "ADDED" | "MODIFIED" | "DELETED">([
  [tokenplanev1.EventType.ADDED, "ADDED"],
  [tokenplanev1.EventType.MODIFIED, "MODIFIED"],
  [tokenplanev1.EventType.DELETED, "DELETED"],
]);

/** Creates an informer; nothing happens until {@link Informer.start}. */
export function createInformer<T extends StoredObject = StoredObject>(
  options: InformerOptions<T>,
): Informer<T> {
  const { info, log } = options;
  const clock = options.clock ?? systemClock;
  const resyncMs = options.resyncMs ?? 0;
  const tombstoneLimit = options.tombstoneLimit ?? 10_000;
  const retryBase = options.listRetryBaseMs ?? 250;
  const retryMax = options.listRetryMaxMs ?? 10_000;
  const resourceName = info.group === "" ? info.resource : `${info.resource}.${info.group}`;
  const metrics = options.metrics === undefined ? undefined : informerMetrics(options.metrics);

  const cache = new InformerCache<T>({ namespaced: info.namespaced, tombstoneLimit });
  const counters: InformerStats = {
    eventsApplied: 0,
    eventsDuplicate: 0,
    eventsStale: 0,
    relists: 0,
    handlerErrors: 0,
  };
  const addHandlers: Array<(obj: T) => void | Promise<void>> = [];
  const updateHandlers: Array<(oldObj: T, newObj: T) => void | Promise<void>> = [];
  const deleteHandlers: Array<(obj: T) => void | Promise<void>> = [];

  let running: { consumer: DurableConsumer; stop: AbortController; resync: Promise<void> } | undefined;
  let synced = false;
  /** Every change of the cache runs through this chain, one at a time. */
  let chain: Promise<void> = Promise.resolve();
  const serial = (fn: () => Promise<void>): Promise<void> => {
    const next = chain.then(fn);
    chain = next.catch(() => {});
    return next;
  };

  const count = (what: "applied" | "duplicate" | "stale") => {
    if (what === "applied") counters.eventsApplied++;
    else if (what === "duplicate") counters.eventsDuplicate++;
    else counters.eventsStale++;
    metrics?.events.inc({ resource: resourceName, result: what });
  };
  const call = async (kind: string, key: string, fn: () => void | Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      counters.handlerErrors++;
      log.error({ err, resource: resourceName, key, handler: kind }, "informer handler failed");
    }
  };
  /** Runs the handlers of each change, in order. */
  const dispatch = async (changes: readonly CacheChange<T>[]) => {
    for (const c of changes) {
      if (c.kind === "add") for (const h of addHandlers) await call("add", c.key, () => h(c.obj));
      else if (c.kind === "update") {
        for (const h of updateHandlers) await call("update", c.key, () => h(c.oldObj, c.newObj));
      } else for (const h of deleteHandlers) await call("delete", c.key, () => h(c.obj));
    }
  };

  /** Applies one event from the stream. */
  const apply = async (event: tokenplanev1.LifecycleEvent): Promise<void> => {
    if (event.resource !== info.resource || event.group !== info.group || event.object === undefined) {
      log.warn(
        { resource: event.resource, group: event.group, name: event.name },
        "unexpected event; ignored",
      );
      return;
    }
    if (options.namespace !== undefined && event.namespace !== options.namespace) return;
    const type = eventTypeNames.get(event.type);
    if (type === undefined) {
      log.warn({ type: event.type, name: event.name }, "event of unknown type; ignored");
      return;
    }
    const outcome = cache.applyEvent(type, {
      namespace: event.namespace,
      name: event.name,
      rv: event.resourceVersion,
      obj: unwrap(event.object).object as T,
    });
    count(outcome.result);
    if (outcome.result === "applied") await dispatch([outcome.change]);
  };

  /** Lists once and reconciles the cache with the list. */
  const relist = async (reason: "start" | "resync" | "restart", signal: AbortSignal): Promise<void> => {
    const result = await options.list(signal);
    const listRv = parseResourceVersion(result.resourceVersion);
    if (listRv === undefined) {
      throw new TypeError(
        `list of ${resourceName} returned invalid resourceVersion "${result.resourceVersion}"`,
      );
    }
    counters.relists++;
    metrics?.relists.inc({ resource: resourceName, reason });
    const items: CacheItem<T>[] = [];
    for (const obj of result.items) {
      const m = obj.metadata;
      const name = m?.name ?? "";
      const namespace = info.namespaced ? (m?.namespace ?? "") : "";
      if (name === "" || (options.namespace !== undefined && namespace !== options.namespace)) continue;
      const rv = parseResourceVersion(m?.resourceVersion ?? "");
      if (rv === undefined) {
        log.warn(
          { resource: resourceName, name, rv: m?.resourceVersion },
          "listed object without resourceVersion; ignored",
        );
        continue;
      }
      items.push({ namespace, name, rv, obj });
    }
    await dispatch(cache.reconcile(items, listRv, reason === "resync"));
    log.debug(
      { resource: resourceName, reason, items: items.length, resourceVersion: listRv.toString() },
      "listed",
    );
  };

  /** Lists until it succeeds or `signal` aborts (then rejects). */
  const relistUntilDone = async (reason: "start" | "restart", signal: AbortSignal): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await serial(() => relist(reason, signal));
        return;
      } catch (err) {
        if (signal.aborted) throw err;
        const delayMs = backoffDelay(attempt, retryBase, retryMax);
        log.warn({ err, resource: resourceName, reason, attempt, delayMs }, "listing failed; retrying");
        await clock.sleep(delayMs, signal);
      }
    }
  };

  const assertNotStarted = () => {
    if (running !== undefined) throw new TypeError("register informer handlers before start()");
  };

  return {
    async start() {
      if (running !== undefined) throw new TypeError("informer already started");
      synced = false;
      const stop = new AbortController();
      let releaseGate!: () => void;
      const gate = new Promise<void>((resolve) => {
        releaseGate = resolve;
      });
      const consumer = lifecycleEvents.consume(
        {
          js: options.events.js,
          jsm: options.events.jsm,
          stream: options.events.stream ?? EVENTS_STREAM,
          durable: options.events.durable,
          filterSubjects: [
            options.namespace === undefined
              ? resourceEventsFilter(info)
              : namespaceEventsFilter(info, options.namespace),
          ],
          // A new durable starts at "now": the list covers everything before it.
          deliverPolicy: "new",
          maxAckPending: options.events.maxAckPending ?? 64,
          ...(options.events.ackWaitMs === undefined ? {} : { ackWaitMs: options.events.ackWaitMs }),
          log,
          onRestart: () => {
            // The consumer may have been re-created at "now": re-list to close any gap.
            relistUntilDone("restart", stop.signal).catch(() => {});
          },
        },
        async (msg) => {
          await Promise.race([gate, aborted(msg.signal)]);
          await serial(() => apply(msg.value));
        },
      );
      running = { consumer, stop, resync: Promise.resolve() };
      try {
        await consumer.ready;
        await relistUntilDone("start", stop.signal);
      } catch (err) {
        stop.abort();
        await consumer.stop();
        running = undefined;
        throw err;
      }
      synced = true;
      releaseGate();
      if (resyncMs > 0) {
        running.resync = (async () => {
          while (!stop.signal.aborted) {
            try {
              await clock.sleep(resyncMs, stop.signal);
            } catch {
              return;
            }
            await serial(() => relist("resync", stop.signal)).catch((err: unknown) => {
              log.warn({ err, resource: resourceName }, "resync failed; the next one retries");
            });
          }
        })();
      }
      log.info(
        { resource: resourceName, objects: cache.size, durable: options.events.durable },
        "informer synced",
      );
    },
    hasSynced: () => synced,
    get: (namespace, name) => cache.get(namespace, name),
    list: (namespace) => cache.list(namespace),
    onAdd(handler) {
      assertNotStarted();
      addHandlers.push(handler);
    },
    onUpdate(handler) {
      assertNotStarted();
      updateHandlers.push(handler);
    },
    onDelete(handler) {
      assertNotStarted();
      deleteHandlers.push(handler);
    },
    stats: () => ({ ...counters }),
    async stop() {
      const r = running;
      if (r === undefined) return;
      r.stop.abort(new Error("informer stopped"));
      await r.consumer.stop();
      await r.resync;
      await chain;
      running = undefined;
      synced = false;
    },
  };
}

/** Rejects when `signal` aborts. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/** The informer metrics, shared by every informer on a registry. */
function informerMetrics(registry: Registry): { events: Counter<string>; relists: Counter<string> } {
  const events =
    (registry.getSingleMetric("tokenplane_informer_events_total") as Counter<string> | undefined) ??
    new Counter({
      name: "tokenplane_informer_events_total",
      help: "Lifecycle events seen by informers, by resource and result (applied, duplicate, stale).",
      labelNames: ["resource", "result"],
      registers: [registry],
    });
  const relists =
    (registry.getSingleMetric("tokenplane_informer_relists_total") as Counter<string> | undefined) ??
    new Counter({
      name: "tokenplane_informer_relists_total",
      help: "Lists taken by informers, by resource and reason (start, resync, restart).",
      labelNames: ["resource", "reason"],
      registers: [registry],
    });
  return { events, relists };
}
