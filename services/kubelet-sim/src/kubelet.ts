/**
 * The kubelet-sim built from its config (kwok's controllers built from a config with an injected
 * clock): the simulated nodes, the informers (pods, ConfigMaps, Secrets: listed over gRPC, then
 * followed through the durable NATS consumers `kubelet-sim-<resource>`), the binder for pods
 * without a node, the pod workers, the token manager with its one-minute garbage collection, the
 * simulated workloads, all driven by one scheduler loop and two bounded lines of API calls.
 */
import { resourceFor } from "@tokenplane/apimachinery";
import type { corev1 } from "@tokenplane/proto";
import {
  type Clock,
  createInformer,
  type Informer,
  type Logger,
  type MetricsRegistry,
  type NatsHandles,
} from "@tokenplane/runtime";
import type { Behaviour } from "./behaviour/behaviour.js";
import type { KubeletApi, ListedKinds } from "./client/kubelet-api.js";
import type { WorkloadMode } from "./config.js";
import { createKubeletMetrics, type KubeletMetrics } from "./metrics/kubelet-metrics.js";
import { NodeManager } from "./nodes/node-manager.js";
import { PodManager } from "./pods/pod-manager.js";
import { Binder } from "./scheduling/binder.js";
import { createLimiter, type Limiter } from "./scheduling/limiter.js";
import { createTimerQueue, type TimerQueue } from "./scheduling/timer-queue.js";
import { GC_PERIOD_MS, type TokenSpec } from "./tokens/refresh-rules.js";
import { TokenManager } from "./tokens/token-manager.js";
import { WORKLOAD_LABEL, WorkloadRunner } from "./workloads/workload-runner.js";

/** Prefix of the durable consumers: `kubelet-sim-<resource>`. */
export const DURABLE_PREFIX = "kubelet-sim-";

/** What the kubelet-sim is built from. */
export interface KubeletSimConfig {
  readonly api: KubeletApi;
  /** Where lifecycle events come from (not needed with `informerFactory`). */
  readonly nats?: Pick<NatsHandles, "js" | "jsm">;
  /** Makes the informers (tests pass in-memory ones); default: the runtime's informer over `api.list` and NATS. */
  readonly informerFactory?: <R extends "pods" | "configmaps" | "secrets">(
    resource: R,
  ) => Informer<ListedKinds[R]>;
  readonly clock: Clock;
  readonly log: Logger;
  /** The service's metrics registry; default: a private one (and informers without metrics). */
  readonly registry?: MetricsRegistry;
  /** `--root-dir`. */
  readonly rootDir: string;
  /** `--apiserver-url`, for the workloads. */
  readonly apiserverUrl: string;
  readonly nodeNames: readonly string[];
  /** `--node-labels`. */
  readonly nodeLabels: Readonly<Record<string, string>>;
  readonly behaviour: Behaviour;
  readonly maxConcurrentTokenRequests: number;
  readonly maxConcurrentApiCalls: number;
  readonly workloads: WorkloadMode;
  /** Pause between the calls of one workload, milliseconds. */
  readonly workloadIntervalMs: number;
  readonly deleteNodesOnShutdown: boolean;
  /** Apply file owners (default: when running as root). */
  readonly chown: boolean;
  /** Source of jitter (token refresh, delays); default `Math.random`. */
  readonly random?: () => number;
}

/** A running kubelet-sim. */
export interface KubeletSim {
  readonly metrics: KubeletMetrics;
  /** Registers the nodes, syncs the informers, re-adopts pods, removes orphans; resolves when serving. */
  start(): Promise<void>;
  /** True once started. */
  ready(): boolean;
  /** Stops everything (and deletes the nodes when configured). */
  stop(): Promise<void>;
}

/** True when a pod runs a workload in `labelled` mode: label or annotation `tokenplane.io/workload: "true"`. */
export function workloadLabelled(pod: corev1.Pod): boolean {
  return (
    pod.metadata?.labels[WORKLOAD_LABEL] === "true" || pod.metadata?.annotations[WORKLOAD_LABEL] === "true"
  );
}

/** Builds the kubelet-sim (nothing runs until `start`). */
export function createKubeletSim(config: KubeletSimConfig): KubeletSim {
  const { api, clock, log, behaviour } = config;
  const random = config.random ?? Math.random;
  const metrics = createKubeletMetrics(config.registry);
  const timers: TimerQueue = createTimerQueue({
    clock,
    onError: (err) => log.error({ err }, "timer callback failed"),
  });
  const limiter = (name: string, max: number): Limiter =>
    createLimiter({
      name,
      max,
      clock,
      onThrottled: (pauseMs) => {
        metrics.throttled.inc({ limiter: name });
        log.warn({ limiter: name, pauseMs }, "apiserver answered 429; pausing calls");
      },
    });
  const tokenLimiter = limiter("token-requests", config.maxConcurrentTokenRequests);
  const apiLimiter = limiter("api-calls", config.maxConcurrentApiCalls);

  const tokens = new TokenManager({
    clock,
    log,
    random,
    cachedGauge: metrics.tokensCached,
    refreshFailures: metrics.tokenRefreshFailures,
    fetch: (namespace: string, name: string, spec: TokenSpec) =>
      tokenLimiter.run(async () => {
        const started = performance.now();
        try {
          const answer = await api.createToken(namespace, name, spec);
          metrics.tokensIssued.inc();
          return answer;
        } catch (err) {
          const code = (err as { code?: unknown }).code;
          metrics.tokenRequestFailures.inc({ code: String(typeof code === "number" ? code : 0) });
          throw err;
        } finally {
          metrics.tokenRequestDuration.observe({}, (performance.now() - started) / 1000);
        }
      }),
  });

  const nodes = new NodeManager({
    api,
    limiter: apiLimiter,
    timers,
    clock,
    log,
    metrics,
    behaviour,
    names: config.nodeNames,
    labels: config.nodeLabels,
  });

  const informerFactory =
    config.informerFactory ??
    (<R extends "pods" | "configmaps" | "secrets">(resource: R): Informer<ListedKinds[R]> => {
      if (config.nats === undefined) throw new TypeError("kubelet-sim: nats or informerFactory is required");
      return createInformer<ListedKinds[R]>({
        info: resourceFor("", resource)!,
        list: (signal) => api.list(resource, signal),
        // Pods come in bursts (a new pod is three to four events): more in flight.
        events: {
          ...config.nats,
          durable: `${DURABLE_PREFIX}${resource}`,
          maxAckPending: resource === "pods" ? 512 : 64,
        },
        clock,
        log: log.child({ informer: resource }),
        ...(config.registry === undefined ? {} : { metrics: config.registry }),
      });
    });
  const podInformer = informerFactory("pods");
  const configMapInformer = informerFactory("configmaps");
  const secretInformer = informerFactory("secrets");

  const workloads =
    config.workloads === "none"
      ? undefined
      : new WorkloadRunner({
          apiserverUrl: config.apiserverUrl,
          intervalMs: config.workloadIntervalMs,
          timers,
          clock,
          log: log.child({ component: "workload" }),
          metrics,
          random,
        });

  const pods = new PodManager({
    api,
    apiLimiter,
    tokens,
    timers,
    clock,
    log,
    metrics,
    behaviour,
    rootDir: config.rootDir,
    nodes,
    configMap: (ns, name) => configMapInformer.get(ns, name),
    secret: (ns, name) => secretInformer.get(ns, name),
    ...(workloads === undefined ? {} : { workloads }),
    workloadSelected: config.workloads === "all" ? () => true : workloadLabelled,
    random,
    chown: config.chown,
  });

  const binder = new Binder({
    api,
    limiter: apiLimiter,
    timers,
    clock,
    log,
    metrics,
    nodes: () => nodes.all(),
    taints: behaviour.node.taints,
  });

  /** Routes a pod event: unscheduled → binder; on one of our nodes → binder count + pod worker. */
  const route = (pod: corev1.Pod) => {
    const nodeName = pod.spec?.nodeName ?? "";
    if (nodeName === "") {
      binder.unscheduled(pod);
      return;
    }
    if (nodes.get(nodeName) === undefined) return;
    binder.assigned(pod, nodeName);
    pods.observe(pod);
  };
  podInformer.onAdd(route);
  podInformer.onUpdate((_old, pod) => route(pod));
  podInformer.onDelete((pod) => {
    binder.forget(pod);
    pods.forget(pod);
  });
  const sourceChanged = (kind: "configMap" | "secret") => (obj: corev1.ConfigMap | corev1.Secret) =>
    pods.sourceChanged(obj.metadata?.namespace ?? "", obj.metadata?.name ?? "", kind);
  configMapInformer.onAdd(sourceChanged("configMap"));
  configMapInformer.onUpdate((_o, n) => sourceChanged("configMap")(n));
  secretInformer.onAdd(sourceChanged("secret"));
  secretInformer.onUpdate((_o, n) => sourceChanged("secret")(n));

  const abort = new AbortController();
  let loop: Promise<void> | undefined;
  let started = false;
  const gc = () => {
    const dropped = tokens.cleanup();
    if (dropped > 0) log.debug({ dropped }, "expired tokens dropped from the cache");
    metrics.timersPending.set({}, timers.size());
    timers.after(GC_PERIOD_MS, gc);
  };

  return {
    metrics,
    async start() {
      const t0 = clock.now();
      loop = timers.run();
      await nodes.register(abort.signal);
      await Promise.all([configMapInformer.start(), secretInformer.start()]);
      await podInformer.start();
      await pods.cleanupOrphans();
      timers.after(GC_PERIOD_MS, gc);
      started = true;
      log.info(
        {
          nodes: config.nodeNames.length,
          pods: pods.counts(),
          tokensAdopted: pods.tokensAdopted(),
          ms: clock.now() - t0,
        },
        "kubelet-sim started",
      );
    },
    ready: () => started && podInformer.hasSynced(),
    async stop() {
      started = false;
      abort.abort();
      binder.stop();
      pods.stop();
      workloads?.close();
      await Promise.all([podInformer.stop(), configMapInformer.stop(), secretInformer.stop()]);
      await nodes.stop(config.deleteNodesOnShutdown);
      timers.stop();
      await loop;
    },
  };
}
