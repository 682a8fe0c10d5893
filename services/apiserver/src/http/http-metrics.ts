/**
 * kube-apiserver's request metrics (k8s.io/apiserver/pkg/endpoints/metrics): every request is
 * counted in `apiserver_request_total{verb,group,version,resource,subresource,scope,component,code}`
 * and timed in `apiserver_request_duration_seconds` (same labels but `code`, plus `dry_run`),
 * with Kubernetes' label values: upper-case verbs (`LIST`, `WATCH`, `APPLY` for server-side
 * apply), scope `resource` / `namespace` / `cluster` ("" for non-resource requests), component
 * `apiserver`.
 */
import { counter, histogram, type MetricsRegistry } from "@tokenplane/runtime";
import type { RequestInfo } from "./request-info.js";

/** Kubernetes' request duration buckets (seconds). */
export const requestDurationBuckets: readonly number[] = [
  0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60,
];

type CountLabels = "verb" | "group" | "version" | "resource" | "subresource" | "scope" | "component" | "code";
type DurationLabels = Exclude<CountLabels, "code"> | "dry_run";

/** The labels of one request. */
export interface RequestMetricLabels {
  verb: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  scope: string;
  dryRun: boolean;
}

/**
 * The metric verb of a request (`metrics.CleanVerb`): the request verb upper-cased, LIST for a
 * list, WATCH for a watch, APPLY for a server-side apply patch; non-resource requests use the method.
 */
export function metricVerb(info: RequestInfo, method: string, isApply: boolean): string {
  if (!info.isResourceRequest) return method.toUpperCase();
  if (info.verb === "patch" && isApply) return "APPLY";
  switch (info.verb) {
    case "list":
      return "LIST";
    case "watch":
      return "WATCH";
    case "create":
      return "POST";
    case "update":
      return "PUT";
    case "get":
      return "GET";
    default:
      return info.verb.toUpperCase() || method.toUpperCase();
  }
}

/** `metrics.CleanScope`: resource (a name, or any create), namespace, cluster, or "" for non-resource requests. */
export function metricScope(info: RequestInfo): string {
  if (info.name !== "" || info.verb === "create") return "resource";
  if (info.namespace !== "") return "namespace";
  if (info.isResourceRequest) return "cluster";
  return "";
}

/** The request metrics of one registry. */
export interface HttpMetrics {
  observe(labels: RequestMetricLabels, code: number, seconds: number): void;
}

/** Registers (or finds) the request metrics on `registry`. */
export function createHttpMetrics(registry: MetricsRegistry): HttpMetrics {
  const total = counter<CountLabels>(registry, {
    name: "apiserver_request_total",
    help: "Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.",
    labelNames: ["verb", "group", "version", "resource", "subresource", "scope", "component", "code"],
  });
  const duration = histogram<DurationLabels>(registry, {
    name: "apiserver_request_duration_seconds",
    help: "Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.",
    labelNames: ["verb", "dry_run", "group", "version", "resource", "subresource", "scope", "component"],
    buckets: requestDurationBuckets,
  });
  return {
    observe(l, code, seconds) {
      const common = {
        verb: l.verb,
        group: l.group,
        version: l.version,
        resource: l.resource,
        subresource: l.subresource,
        scope: l.scope,
        component: "apiserver",
      };
      total.inc({ ...common, code: String(code) });
      duration.observe({ ...common, dry_run: l.dryRun ? "All" : "" }, seconds);
    },
  };
}
