/**
 * The kubelet-sim's own metrics (README "Metrics"). Memory and CPU are in the process metrics the
 * runtime's registry already carries (`process_resident_memory_bytes`, `nodejs_heap_size_used_bytes`).
 */
import {
  type CounterMetric,
  type GaugeMetric,
  type HistogramMetric,
  type MetricsRegistry,
  registerCounter,
  registerGauge,
  registerHistogram,
} from "./prometheus.js";

/** Every metric of the kubelet-sim. */
export interface KubeletMetrics {
  /** TokenRequests that returned a token. */
  readonly tokensIssued: CounterMetric;
  /** TokenRequests that failed, by HTTP status code (`0` = no answer). */
  readonly tokenRequestFailures: CounterMetric<"code">;
  /** Refreshes that failed while an older token was still served (reference §5 "Couldn't update token"). */
  readonly tokenRefreshFailures: CounterMetric;
  /** Seconds between a token's refresh due time and its refresh. */
  readonly tokenRefreshLag: HistogramMetric;
  /** Duration of TokenRequests, seconds (waiting in line not included). */
  readonly tokenRequestDuration: HistogramMetric;
  /** Tokens rebuilt from disk at start without a TokenRequest. */
  readonly tokensAdopted: CounterMetric;
  /** Entries in the token manager's cache. */
  readonly tokensCached: GaugeMetric;
  /** Projected volume writes (atomic swaps) by source of the write. */
  readonly volumeWrites: CounterMetric<"reason">;
  /** Pods on this process's nodes by simulated state. */
  readonly pods: GaugeMetric<"state">;
  /** Seconds from a pod first being seen on its node to Running with its volumes written. */
  readonly podStartDuration: HistogramMetric;
  /** Pods bound to a node by this process's scheduler. */
  readonly podsBound: CounterMetric;
  /** Pod deletions confirmed to the apiserver (after the grace period). */
  readonly podDeletionsConfirmed: CounterMetric;
  /** Simulated nodes registered. */
  readonly nodes: GaugeMetric;
  /** Node status heartbeats posted, by result. */
  readonly nodeHeartbeats: CounterMetric<"result">;
  /** Apiserver answers 429 (the whole line paused for Retry-After), by limiter. */
  readonly throttled: CounterMetric<"limiter">;
  /** Simulated workload requests by result (`success`, `failure`). */
  readonly workloadRequests: CounterMetric<"result">;
  /** Failed workload requests by reason (`unauthorized`, `forbidden`, `http_<code>`, `network`, `token_unreadable`). */
  readonly workloadFailures: CounterMetric<"reason">;
  /** Timers waiting in the one scheduler loop. */
  readonly timersPending: GaugeMetric;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const LAG_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const START_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** Registers the metrics (no registry: private metrics, for tests). */
export function createKubeletMetrics(registry?: MetricsRegistry): KubeletMetrics {
  return {
    tokensIssued: registerCounter(registry, {
      name: "kubelet_sim_tokens_issued_total",
      help: "TokenRequests for projected service account tokens that returned a token.",
    }),
    tokenRequestFailures: registerCounter(registry, {
      name: "kubelet_sim_token_request_failures_total",
      help: "TokenRequests that failed, by HTTP status code (0 = no answer).",
      labelNames: ["code"],
    }),
    tokenRefreshFailures: registerCounter(registry, {
      name: "kubelet_sim_token_refresh_failures_total",
      help: "Token refreshes that failed while the previous token was still served.",
    }),
    tokenRefreshLag: registerHistogram(registry, {
      name: "kubelet_sim_token_refresh_lag_seconds",
      help: "Seconds between a token's refresh due time (80% of its lifetime or 24h, minus jitter) and its refresh.",
      buckets: LAG_BUCKETS,
    }),
    tokenRequestDuration: registerHistogram(registry, {
      name: "kubelet_sim_token_request_duration_seconds",
      help: "Duration of TokenRequest calls to the apiserver.",
      buckets: LATENCY_BUCKETS,
    }),
    tokensAdopted: registerCounter(registry, {
      name: "kubelet_sim_tokens_adopted_total",
      help: "Tokens found on disk at start and cached again without a TokenRequest.",
    }),
    tokensCached: registerGauge(registry, {
      name: "kubelet_sim_tokens_cached",
      help: "Entries in the token manager's cache.",
    }),
    volumeWrites: registerCounter(registry, {
      name: "kubelet_sim_volume_writes_total",
      help: "Atomic writes of projected volumes, by reason (mount, refresh, resync).",
      labelNames: ["reason"],
    }),
    pods: registerGauge(registry, {
      name: "kubelet_sim_pods",
      help: "Pods on this process's nodes, by simulated state (pending, running, terminating).",
      labelNames: ["state"],
    }),
    podStartDuration: registerHistogram(registry, {
      name: "kubelet_sim_pod_start_duration_seconds",
      help: "Seconds from a pod first seen on its node to Running with its volumes written.",
      buckets: START_BUCKETS,
    }),
    podsBound: registerCounter(registry, {
      name: "kubelet_sim_pods_bound_total",
      help: "Pods without a node bound to one of this process's nodes.",
    }),
    podDeletionsConfirmed: registerCounter(registry, {
      name: "kubelet_sim_pod_deletions_confirmed_total",
      help: "Graceful pod deletions carried out and confirmed to the apiserver.",
    }),
    nodes: registerGauge(registry, {
      name: "kubelet_sim_nodes",
      help: "Simulated nodes registered by this process.",
    }),
    nodeHeartbeats: registerCounter(registry, {
      name: "kubelet_sim_node_heartbeats_total",
      help: "Node status heartbeats posted, by result.",
      labelNames: ["result"],
    }),
    throttled: registerCounter(registry, {
      name: "kubelet_sim_api_throttled_total",
      help: "Apiserver answers 429 Too Many Requests; the limiter paused for Retry-After.",
      labelNames: ["limiter"],
    }),
    workloadRequests: registerCounter(registry, {
      name: "kubelet_sim_workload_requests_total",
      help: "Requests of simulated workloads to the apiserver with their mounted token, by result.",
      labelNames: ["result"],
    }),
    workloadFailures: registerCounter(registry, {
      name: "kubelet_sim_workload_failures_total",
      help: "Failed requests of simulated workloads, by reason.",
      labelNames: ["reason"],
    }),
    timersPending: registerGauge(registry, {
      name: "kubelet_sim_timers_pending",
      help: "Timers (starts, refreshes, deletions, heartbeats, workload calls) waiting in the scheduler loop.",
    }),
  };
}
