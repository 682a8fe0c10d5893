/**
 * prom-client metrics registered on a service's registry, get-or-create: a second registration of
 * the same name returns the metric already there (several components in one process share
 * process-wide counters, as Kubernetes' metrics are). Services use these instead of depending on
 * prom-client themselves.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** What defines a metric: its Prometheus name, help text and label names. */
export interface MetricSpec<L extends string = string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly L[];
}

/** A counter on `registry` (the existing one when the name is taken by a counter). */
export function counter<L extends string = string>(registry: Registry, spec: MetricSpec<L>): Counter<L> {
  const existing = registry.getSingleMetric(spec.name);
  if (existing instanceof Counter) return existing as Counter<L>;
  return new Counter<L>({ ...spec, labelNames: spec.labelNames ?? [], registers: [registry] });
}

/** A gauge on `registry` (the existing one when the name is taken by a gauge). */
export function gauge<L extends string = string>(registry: Registry, spec: MetricSpec<L>): Gauge<L> {
  const existing = registry.getSingleMetric(spec.name);
  if (existing instanceof Gauge) return existing as Gauge<L>;
  return new Gauge<L>({ ...spec, labelNames: spec.labelNames ?? [], registers: [registry] });
}

/** A histogram on `registry`; `buckets` in the metric's unit (seconds by convention). */
export function histogram<L extends string = string>(
  registry: Registry,
  spec: MetricSpec<L> & { readonly buckets?: readonly number[] },
): Histogram<L> {
  const existing = registry.getSingleMetric(spec.name);
  if (existing instanceof Histogram) return existing as Histogram<L>;
  return new Histogram<L>({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames ?? [],
    ...(spec.buckets ? { buckets: [...spec.buckets] } : {}),
    registers: [registry],
  });
}

/**
 * The value of a counter or gauge series (the sum over series whose labels include `labels`), or
 * a histogram's observation count; 0 when the metric or series does not exist. For tests and
 * benchmarks.
 */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const wanted = metric instanceof Histogram ? `${name}_count` : undefined;
  let sum = 0;
  for (const v of values as readonly {
    value: number;
    labels: Record<string, unknown>;
    metricName?: string;
  }[]) {
    if (wanted !== undefined && v.metricName !== wanted) continue;
    if (Object.entries(labels).every(([k, x]) => String(v.labels[k] ?? "") === x)) sum += v.value;
  }
  return sum;
}
