/**
 * The wiring of kube-controller-manager's service-account controllers in one process: one shared
 * informer per resource (list over gRPC, then lifecycle events from NATS through a durable
 * consumer `token-controller-<resource>`, re-listed every `--min-resync-period`…2×), the enabled
 * controllers built on them, and the start-up order of Kubernetes: handlers registered, informers
 * started and synced (WaitForCacheSync), then the workers.
 */
import type { SigningKey } from "@tokenplane/crypto";
import {
  type Clock,
  createInformer,
  type Informer,
  type Logger,
  type NatsHandles,
  type WorkQueueOptions,
} from "@tokenplane/runtime";
import {
  type CoreKinds,
  type CoreResource,
  coreResource,
  type ObjectClient,
} from "./client/object-client.js";
import type { ControllerName } from "./config.js";
import type { Controller } from "./controller.js";
import { newLegacyTokenCleaner } from "./legacy-cleaner/legacy-token-cleaner.js";
import { newRootCAPublisher } from "./rootca/root-ca-publisher.js";
import { newServiceAccountsController } from "./serviceaccounts/serviceaccounts-controller.js";
import { legacyTokenGenerator } from "./tokens/legacy-token-generator.js";
import { newTokensController } from "./tokens/tokens-controller.js";

/** Prefix of the durable consumers: `token-controller-<resource>`. */
export const DURABLE_PREFIX = "token-controller-";

/** What the controller manager is built from. */
export interface ControllerManagerConfig {
  readonly client: ObjectClient;
  /** Where the lifecycle events come from. */
  readonly nats: Pick<NatsHandles, "js" | "jsm">;
  readonly clock: Clock;
  readonly log: Logger;
  /** The service's registry: informer and work queue metrics. */
  readonly metrics?: WorkQueueOptions<string>["metrics"];
  readonly controllers: ReadonlySet<ControllerName>;
  /** Signs legacy tokens; without it the tokens controller does not run. */
  readonly signingKey: SigningKey | undefined;
  /** Root CA bundle, PEM bytes. */
  readonly rootCA: Uint8Array;
  /** Workers per tokens controller queue. */
  readonly tokenSyncWorkers: number;
  /** Legacy token cleaner period and pause between runs, milliseconds. */
  readonly cleanUpPeriodMs: number;
  readonly cleanerSyncIntervalMs: number;
  /** Informers re-list at a random period in [min, 2·min), milliseconds; 0 = never. */
  readonly minResyncPeriodMs: number;
  /** Source of the resync spread and retry jitter; default `Math.random`. */
  readonly random?: () => number;
  /**
   * Makes an informer (tests pass in-memory ones); default: the runtime's informer over
   * `client.list` and NATS.
   */
  readonly informerFactory?: <R extends CoreResource>(resource: R) => Informer<CoreKinds[R]>;
}

/** The running controllers. */
export interface ControllerManager {
  /** The controllers that run (some may be disabled by flags or a missing key). */
  readonly controllers: readonly string[];
  /** Starts the informers, waits until each has synced, then starts the controllers' workers. */
  start(): Promise<void>;
  /** True once every informer has synced and the workers run. */
  ready(): boolean;
  /** Stops the workers, then the informers. */
  stop(): Promise<void>;
}

/** Builds the enabled controllers and their informers (nothing runs until `start`). */
export function createControllerManager(config: ControllerManagerConfig): ControllerManager {
  const { client, clock, log, controllers: enabled } = config;
  const random = config.random ?? Math.random;
  const metricsOption = config.metrics === undefined ? {} : { metrics: config.metrics };

  const informers = new Map<CoreResource, Informer<CoreKinds[CoreResource]>>();
  const defaultFactory = <R extends CoreResource>(resource: R): Informer<CoreKinds[R]> =>
    createInformer<CoreKinds[R]>({
      info: coreResource(resource),
      list: (signal) => client.list(resource, "", signal),
      events: { js: config.nats.js, jsm: config.nats.jsm, durable: `${DURABLE_PREFIX}${resource}` },
      // ResyncPeriod of kube-controller-manager: min × [1, 2), chosen per informer.
      resyncMs: config.minResyncPeriodMs > 0 ? Math.floor(config.minResyncPeriodMs * (1 + random())) : 0,
      clock,
      log: log.child({ informer: resource }),
      ...metricsOption,
    });
  const factory = config.informerFactory ?? defaultFactory;
  /** The shared informer of a resource, made on first use. */
  const informer = <R extends CoreResource>(resource: R): Informer<CoreKinds[R]> => {
    let inf = informers.get(resource);
    if (inf === undefined) {
      inf = factory(resource) as Informer<CoreKinds[CoreResource]>;
      informers.set(resource, inf);
    }
    return inf as unknown as Informer<CoreKinds[R]>;
  };

  const rootCAText = new TextDecoder().decode(config.rootCA);
  const built: Controller[] = [];
  if (enabled.has("serviceaccount-controller")) {
    built.push(
      newServiceAccountsController({
        namespaces: informer("namespaces"),
        serviceAccounts: informer("serviceaccounts"),
        client,
        clock,
        log,
        ...metricsOption,
      }),
    );
  }
  if (enabled.has("serviceaccount-token-controller")) {
    if (config.signingKey === undefined) {
      log.info(
        { controller: "serviceaccount-token-controller" },
        "controller is disabled because there is no private key (--service-account-private-key-file)",
      );
    } else {
      built.push(
        newTokensController({
          serviceAccounts: informer("serviceaccounts"),
          secrets: informer("secrets"),
          client,
          generateToken: legacyTokenGenerator(config.signingKey),
          rootCA: config.rootCA,
          clock,
          log,
          workers: config.tokenSyncWorkers,
          random,
          ...metricsOption,
        }),
      );
    }
  }
  if (enabled.has("root-ca-certificate-publisher-controller")) {
    built.push(
      newRootCAPublisher({
        namespaces: informer("namespaces"),
        configMaps: informer("configmaps"),
        client,
        rootCA: rootCAText,
        clock,
        log,
        ...metricsOption,
      }),
    );
  }
  if (enabled.has("legacy-serviceaccount-token-cleaner-controller")) {
    built.push(
      newLegacyTokenCleaner({
        serviceAccounts: informer("serviceaccounts"),
        secrets: informer("secrets"),
        pods: informer("pods"),
        client,
        clock,
        log,
        cleanUpPeriodMs: config.cleanUpPeriodMs,
        syncIntervalMs: config.cleanerSyncIntervalMs,
      }),
    );
  }

  const stop = new AbortController();
  let runs: Promise<void>[] = [];
  let running = false;
  return {
    controllers: built.map((c) => c.name),
    async start() {
      const started = Date.now();
      await Promise.all([...informers.values()].map((i) => i.start()));
      log.info({ informers: [...informers.keys()], ms: Date.now() - started }, "informers synced");
      runs = built.map((c) =>
        c
          .run(stop.signal)
          .catch((err: unknown) => log.error({ err, controller: c.name }, "controller failed")),
      );
      running = true;
      log.info({ controllers: built.map((c) => c.name) }, "controllers started");
    },
    ready: () => running && [...informers.values()].every((i) => i.hasSynced()),
    async stop() {
      running = false;
      stop.abort();
      await Promise.all(runs);
      await Promise.all([...informers.values()].map((i) => i.stop()));
    },
  };
}
