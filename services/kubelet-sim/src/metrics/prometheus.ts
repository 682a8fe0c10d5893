/**
 * Counters, gauges and histograms registered on the service's prom-client `Registry` (from
 * `createMetrics` of @tokenplane/runtime) without importing prom-client, which this package does
 * not depend on (only @tokenplane/runtime does, and the workspace rules forbid adding a
 * dependency). The registry only asks a metric for `name` and an async `get()` returning
 * `{ name, help, type, aggregator, values }`; the text rendered is what prom-client's own classes
 * render, with the registry's default `service` label added.
 */
import type { createMetrics } from "@tokenplane/runtime";

/** The prom-client registry type, as @tokenplane/runtime hands it out. */
export type MetricsRegistry = ReturnType<typeof createMetrics>;

/** Label values of one series. */
export type Labels<L extends string> = Partial<Record<L, string>>;

/** A monotonically increasing counter. */
export interface CounterMetric<L extends string = never> {
  /** Adds `value` (default 1) to the series with these labels. */
  inc(labels?: Labels<L>, value?: number): void;
  /** The current value of a series (0 when never incremented). */
  value(labels?: Labels<L>): number;
}

/** A value that goes up and down, or is read when scraped. */
export interface GaugeMetric<L extends string = never> {
  set(labels: Labels<L>, value: number): void;
  inc(labels?: Labels<L>, value?: number): void;
  dec(labels?: Labels<L>, value?: number): void;
  value(labels?: Labels<L>): number;
}

/** A histogram of observations (seconds, by convention). */
export interface HistogramMetric<L extends string = never> {
  observe(labels: Labels<L>, value: number): void;
  /** Number of observations of a series. */
  count(labels?: Labels<L>): number;
  /** Sum of the observations of a series. */
  sum(labels?: Labels<L>): number;
}

/** Definition of a metric. */
export interface MetricDefinition<L extends string> {
  /** Prometheus name, e.g. `kubelet_sim_tokens_issued_total`. */
  readonly name: string;
  /** HELP text. */
  readonly help: string;
  /** Label names; every series carries all of them ("" when not given). */
  readonly labelNames?: readonly L[];
}

/** Prometheus' default histogram buckets (seconds), as prom-client and client_golang use. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Series {
  labels: Record<string, string>;
  value: number;
  buckets?: number[];
  sum?: number;
}

type MetricValue = { labels: Record<string, string | number>; value: number; metricName?: string };

interface Renderable {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "histogram";
  readonly aggregator: "sum";
  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }>;
  reset(): void;
}

function seriesKey(labelNames: readonly string[], labels: Record<string, string | undefined>): string {
  return labelNames.map((l) => labels[l] ?? "").join("\u0000");
}

function normalise(labelNames: readonly string[], labels: Record<string, string | undefined>) {
  const out: Record<string, string> = {};
  for (const l of labelNames) out[l] = labels[l] ?? "";
  return out;
}

function register(registry: MetricsRegistry | undefined, metric: Renderable): void {
  if (registry === undefined) return;
  if (registry.getSingleMetric(metric.name) !== undefined) {
    throw new TypeError(`a metric named ${metric.name} is already registered`);
  }
  // The registry is typed for prom-client's classes; it only calls `get()` and `reset()`.
  registry.registerMetric(metric as unknown as Parameters<MetricsRegistry["registerMetric"]>[0]);
}

/** A counter or gauge: a map of series with a value each. */
function valueMetric<L extends string>(
  type: "counter" | "gauge",
  definition: MetricDefinition<L>,
  registry: MetricsRegistry | undefined,
): CounterMetric<L> & GaugeMetric<L> {
  const labelNames: readonly string[] = definition.labelNames ?? [];
  const series = new Map<string, Series>();
  const entry = (labels: Labels<L>): Series => {
    const key = seriesKey(labelNames, labels);
    let s = series.get(key);
    if (s === undefined) {
      s = { labels: normalise(labelNames, labels), value: 0 };
      series.set(key, s);
    }
    return s;
  };
  const metric: Renderable & CounterMetric<L> & GaugeMetric<L> = {
    name: definition.name,
    help: definition.help,
    type,
    aggregator: "sum",
    inc(labels = {}, value = 1) {
      entry(labels).value += value;
    },
    dec(labels = {}, value = 1) {
      entry(labels).value -= value;
    },
    set(labels, value) {
      entry(labels).value = value;
    },
    value(labels = {}) {
      return series.get(seriesKey(labelNames, labels))?.value ?? 0;
    },
    async get() {
      // A metric without labels shows 0 before its first change, as prom-client's does.
      const values: MetricValue[] =
        series.size === 0 && labelNames.length === 0
          ? [{ labels: {}, value: 0 }]
          : [...series.values()].map((s) => ({ labels: { ...s.labels }, value: s.value }));
      return { name: metric.name, help: metric.help, type, aggregator: "sum", values };
    },
    reset() {
      series.clear();
    },
  };
  register(registry, metric);
  return metric;
}

/** Registers a counter (`registry` undefined: a private one, for tests). */
export function registerCounter<L extends string = never>(
  registry: MetricsRegistry | undefined,
  definition: MetricDefinition<L>,
): CounterMetric<L> {
  return valueMetric("counter", definition, registry);
}

/** Registers a gauge (`registry` undefined: a private one, for tests). */
export function registerGauge<L extends string = never>(
  registry: MetricsRegistry | undefined,
  definition: MetricDefinition<L>,
): GaugeMetric<L> {
  return valueMetric("gauge", definition, registry);
}

/**
 * Registers a histogram. `buckets`: upper bounds in ascending order (default
 * {@link DEFAULT_BUCKETS}).
 */
export function registerHistogram<L extends string = never>(
  registry: MetricsRegistry | undefined,
  definition: MetricDefinition<L> & { readonly buckets?: readonly number[] },
): HistogramMetric<L> {
  const labelNames: readonly string[] = definition.labelNames ?? [];
  const bounds = [...(definition.buckets ?? DEFAULT_BUCKETS)];
  const series = new Map<string, Series>();
  const metric: Renderable & HistogramMetric<L> = {
    name: definition.name,
    help: definition.help,
    type: "histogram",
    aggregator: "sum",
    observe(labels, value) {
      const key = seriesKey(labelNames, labels);
      let s = series.get(key);
      if (s === undefined) {
        s = { labels: normalise(labelNames, labels), value: 0, buckets: bounds.map(() => 0), sum: 0 };
        series.set(key, s);
      }
      s.value += 1;
      s.sum = (s.sum ?? 0) + value;
      const buckets = s.buckets ?? [];
      for (let i = 0; i < bounds.length; i++) if (value <= bounds[i]!) buckets[i] = (buckets[i] ?? 0) + 1;
    },
    count(labels = {}) {
      return series.get(seriesKey(labelNames, labels))?.value ?? 0;
    },
    sum(labels = {}) {
      return series.get(seriesKey(labelNames, labels))?.sum ?? 0;
    },
    async get() {
      const values: MetricValue[] = [];
      for (const s of series.values()) {
        bounds.forEach((le, i) => {
          values.push({
            metricName: `${metric.name}_bucket`,
            labels: { ...s.labels, le },
            value: s.buckets?.[i] ?? 0,
          });
        });
        values.push({
          metricName: `${metric.name}_bucket`,
          labels: { ...s.labels, le: "+Inf" },
          value: s.value,
        });
        values.push({ metricName: `${metric.name}_sum`, labels: { ...s.labels }, value: s.sum ?? 0 });
        values.push({ metricName: `${metric.name}_count`, labels: { ...s.labels }, value: s.value });
      }
      return { name: metric.name, help: metric.help, type: "histogram", aggregator: "sum", values };
    },
    reset() {
      series.clear();
    },
  };
  register(registry, metric);
  return metric;
}
