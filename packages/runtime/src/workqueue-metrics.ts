/**
 * client-go's workqueue metrics on a prom-client registry, labelled by the queue's `name`:
 * `workqueue_depth`, `workqueue_adds_total`, `workqueue_queue_duration_seconds`,
 * `workqueue_work_duration_seconds`, `workqueue_unfinished_work_seconds`,
 * `workqueue_longest_running_processor_seconds` and `workqueue_retries_total`. The queue
 * (`createWorkQueue`) feeds them; not exported from the package.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** The series of one queue (prom-client's labelled children). */
export interface QueueMetrics {
  depth: { inc(): void; dec(): void };
  adds: { inc(): void };
  queueDuration: { observe(seconds: number): void };
  workDuration: { observe(seconds: number): void };
  retries: { inc(): void };
  sources: Set<() => { unfinished: number; longest: number }>;
}

interface SharedMetrics {
  depth: Gauge<"name">;
  adds: Counter<"name">;
  queueDuration: Histogram<"name">;
  workDuration: Histogram<"name">;
  retries: Counter<"name">;
  sources: Map<string, Set<() => { unfinished: number; longest: number }>>;
}

const sharedByRegistry = new WeakMap<Registry, SharedMetrics>();

/** client-go's buckets for the workqueue latencies: 10 ns to 1000 s, ×10 each. */
const DURATION_BUCKETS = Array.from({ length: 12 }, (_, i) => 1e-8 * 10 ** i);

/** The workqueue metrics of one queue, registered once per registry and labelled by `name`. */
export function queueMetrics(registry: Registry, name: string): QueueMetrics {
  let shared = sharedByRegistry.get(registry);
  if (shared === undefined) {
    const sources = new Map<string, Set<() => { unfinished: number; longest: number }>>();
    const sum = (queueName: string) => {
      let unfinished = 0;
      let longest = 0;
      for (const s of sources.get(queueName) ?? []) {
        const v = s();
        unfinished += v.unfinished;
        longest = Math.max(longest, v.longest);
      }
      return { unfinished, longest };
    };
    shared = {
      depth: new Gauge({
        name: "workqueue_depth",
        help: "Current depth of workqueue",
        labelNames: ["name"],
        registers: [registry],
      }),
      adds: new Counter({
        name: "workqueue_adds_total",
        help: "Total number of adds handled by workqueue",
        labelNames: ["name"],
        registers: [registry],
      }),
      queueDuration: new Histogram({
        name: "workqueue_queue_duration_seconds",
        help: "How long in seconds an item stays in workqueue before being requested.",
        labelNames: ["name"],
        buckets: DURATION_BUCKETS,
        registers: [registry],
      }),
      workDuration: new Histogram({
        name: "workqueue_work_duration_seconds",
        help: "How long in seconds processing an item from workqueue takes.",
        labelNames: ["name"],
        buckets: DURATION_BUCKETS,
        registers: [registry],
      }),
      retries: new Counter({
        name: "workqueue_retries_total",
        help: "Total number of retries handled by workqueue",
        labelNames: ["name"],
        registers: [registry],
      }),
      sources,
    };
    new Gauge({
      name: "workqueue_unfinished_work_seconds",
      help: "How many seconds of work has done that is in progress and hasn't been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.",
      labelNames: ["name"],
      registers: [registry],
      collect() {
        for (const queueName of sources.keys()) this.set({ name: queueName }, sum(queueName).unfinished);
      },
    });
    new Gauge({
      name: "workqueue_longest_running_processor_seconds",
      help: "How many seconds has the longest running processor for workqueue been running.",
      labelNames: ["name"],
      registers: [registry],
      collect() {
        for (const queueName of sources.keys()) this.set({ name: queueName }, sum(queueName).longest);
      },
    });
    sharedByRegistry.set(registry, shared);
  }
  let sources = shared.sources.get(name);
  if (sources === undefined) {
    sources = new Set();
    shared.sources.set(name, sources);
  }
  const labels = { name };
  // Series exist from the start (client-go reports 0 for a new queue).
  shared.depth.set(labels, 0);
  shared.adds.inc(labels, 0);
  shared.retries.inc(labels, 0);
  return {
    depth: shared.depth.labels(labels),
    adds: shared.adds.labels(labels),
    queueDuration: shared.queueDuration.labels(labels),
    workDuration: shared.workDuration.labels(labels),
    retries: shared.retries.labels(labels),
    sources,
  };
}
