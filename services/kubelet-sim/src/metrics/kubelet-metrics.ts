/**
 * The kubelet-sim's own metrics (README "Metrics"). Memory and CPU are in the process metrics the
 * runtime's registry already carries (`process_resident_memory_bytes`, `nodejs_heap_size_used_bytes`).
 *
 * They are prom-client metrics made through the runtime's get-or-create helpers, so this package
 * needs no prom-client dependency of its own. Reading a value is asynchronous (`metricValue` of
 * @tokenplane/runtime, on {@link KubeletMetrics.registry}); code that needs a number at once keeps
 * its own count beside the metric.
 */
import {
  type Counter,
  counter,
  createMetrics,
  type Gauge,
  gauge,
  type Histogram,
  histogram,
  type MetricsRegistry,
} from "@tokenplane/runtime";

/** Every metric of the kubelet-sim. */
export interface KubeletMetrics {
  /** The registry the metrics are on (tests read values from it with `metricValue`). */
  readonly registry: MetricsRegistry;
  /** TokenRequests that returned a token. */
  readonly tokensIssued: Counter<never>;
  /** TokenRequests that failed, by HTTP status code (`0` = no answer). */
  readonly tokenRequestFailures: Counter<"code">;
  /** Refreshes that failed while an older token was still served (reference §5 "Couldn't update token"). */
  readonly tokenRefreshFailures: Counter<never>;
  /** Seconds between a token's refresh due time and its refresh. */
  readonly tokenRefreshLag: Histogram<never>;
  /** Duration of TokenRequests, seconds (waiting in line not included). */
  readonly tokenRequestDuration: Histogram<never>;
  /** Tokens rebuilt from disk at start without a TokenRequest. */
  readonly tokensAdopted: Counter<never>;
  /** Entries in the token manager's cache. */
  readonly tokensCached: Gauge<never>;
  /** Projected volume writes (atomic swaps) by source of the write. */
  readonly volumeWrites: Counter<"reason">;
  /** Pods on this process's nodes by simulated state. */
  readonly pods: Gauge<"state">;
  /** Seconds from a pod first being seen on its node to Running with its volumes written. */
  readonly podStartDuration: Histogram<never>;
  /** Pods bound to a node by this process's scheduler. */
  readonly podsBound: Counter<never>;
  /** Pod deletions confirmed to the apiserver (after the grace period). */
  readonly podDeletionsConfirmed: Counter<never>;
  /** Simulated nodes registered. */
  readonly nodes: Gauge<never>;
  /** Node status heartbeats posted, by result. */
  readonly nodeHeartbeats: Counter<"result">;
  /** Apiserver answers 429 (the whole line paused for Retry-After), by limiter. */
  readonly throttled: Counter<"limiter">;
  /** Simulated workload requests by result (`success`, `failure`). */
  readonly workloadRequests: Counter<"result">;
  /** Failed workload requests by reason (`unauthorized`, `forbidden`, `http_<code>`, `network`, `token_unreadable`). */
  readonly workloadFailures: Counter<"reason">;
  /** Timers waiting in the one scheduler loop. */
  readonly timersPending: Gauge<never>;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const LAG_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const START_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/**
 * Registers the metrics on `registry`, or returns the ones already there (get-or-create). No
 * registry: a fresh private one without process metrics, so tests do not share values.
 */
export function createKubeletMetrics(
  registry: MetricsRegistry = createMetrics({ service: "kubelet-sim", defaultMetrics: false }),
): KubeletMetrics {
  return {
    registry,
    tokensIssued: counter(registry, {
      name: "kubelet_sim_tokens_issued_total",
      help: "TokenRequests for projected service account tokens that returned a token.",
    }),
    tokenRequestFailures: counter(registry, {
      name: "kubelet_sim_token_request_failures_total",
      help: "TokenRequests that failed, by HTTP status code (0 = no answer).",
      labelNames: ["code"],
    }),
    tokenRefreshFailures: counter(registry, {
      name: "kubelet_sim_token_refresh_failures_total",
      help: "Token refreshes that failed while the previous token was still served.",
    }),
    tokenRefreshLag: histogram(registry, {
      name: "kubelet_sim_token_refresh_lag_seconds",
      help: "Seconds between a token's refresh due time (80% of its lifetime or 24h, minus jitter) and its refresh.",
      buckets: LAG_BUCKETS,
    }),
    tokenRequestDuration: histogram(registry, {
      name: "kubelet_sim_token_request_duration_seconds",
      help: "Duration of TokenRequest calls to the apiserver.",
      buckets: LATENCY_BUCKETS,
    }),
    tokensAdopted: counter(registry, {
      name: "kubelet_sim_tokens_adopted_total",
      help: "Tokens found on disk at start and cached again without a TokenRequest.",
    }),
    tokensCached: gauge(registry, {
      name: "kubelet_sim_tokens_cached",
      help: "Entries in the token manager's cache.",
    }),
    volumeWrites: counter(registry, {
      name: "kubelet_sim_volume_writes_total",
      help: "Atomic writes of projected volumes, by reason (mount, refresh, resync).",
      labelNames: ["reason"],
    }),
    pods: gauge(registry, {
      name: "kubelet_sim_pods",
      help: "Pods on this process's nodes, by simulated state (pending, running, terminating).",
      labelNames: ["state"],
    }),
    podStartDuration: histogram(registry, {
      name: "kubelet_sim_pod_start_duration_seconds",
      help: "Seconds from a pod first seen on its node to Running with its volumes written.",
      buckets: START_BUCKETS,
    }),
    podsBound: counter(registry, {
      name: "kubelet_sim_pods_bound_total",
      help: "Pods without a node bound to one of this process's nodes.",
    }),
    podDeletionsConfirmed: counter(registry, {
      name: "kubelet_sim_pod_deletions_confirmed_total",
      help: "Graceful pod deletions carried out and confirmed to the apiserver.",
    }),
    nodes: gauge(registry, {
      name: "kubelet_sim_nodes",
      help: "Simulated nodes registered by this process.",
    }),
    nodeHeartbeats: counter(registry, {
      name: "kubelet_sim_node_heartbeats_total",
      help: "Node status heartbeats posted, by result.",
      labelNames: ["result"],
    }),
    throttled: counter(registry, {
      name: "kubelet_sim_api_throttled_total",
      help: "Apiserver answers 429 Too Many Requests; the limiter paused for Retry-After.",
      labelNames: ["limiter"],
    }),
    workloadRequests: counter(registry, {
      name: "kubelet_sim_workload_requests_total",
      help: "Requests of simulated workloads to the apiserver with their mounted token, by result.",
      labelNames: ["result"],
    }),
    workloadFailures: counter(registry, {
      name: "kubelet_sim_workload_failures_total",
      help: "Failed requests of simulated workloads, by reason.",
      labelNames: ["reason"],
    }),
    timersPending: gauge(registry, {
      name: "kubelet_sim_timers_pending",
      help: "Timers (starts, refreshes, deletions, heartbeats, workload calls) waiting in the scheduler loop.",
    }),
  };
}
