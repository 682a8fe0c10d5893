import { createMetrics, metricValue } from "@tokenplane/runtime";
import { describe, expect, it } from "vitest";
import { createHttpMetrics, metricScope, metricVerb } from "./http-metrics.js";
import { parseRequestInfo } from "./request-info.js";

const info = (method: string, url: string) => {
  const u = new URL(url, "https://x");
  return parseRequestInfo(method, u.pathname, u.searchParams);
};

describe("request metric labels", () => {
  it.each([
    ["GET", "/api/v1/namespaces/a/serviceaccounts", false, "LIST", "namespace"],
    ["GET", "/api/v1/serviceaccounts?watch=true", false, "WATCH", "cluster"],
    ["GET", "/api/v1/namespaces/a/serviceaccounts/b", false, "GET", "resource"],
    ["POST", "/api/v1/namespaces/a/serviceaccounts", false, "POST", "resource"],
    ["PUT", "/api/v1/namespaces/a/serviceaccounts/b", false, "PUT", "resource"],
    ["PATCH", "/api/v1/namespaces/a/serviceaccounts/b", false, "PATCH", "resource"],
    ["PATCH", "/api/v1/namespaces/a/serviceaccounts/b", true, "APPLY", "resource"],
    ["DELETE", "/api/v1/namespaces/a/secrets", false, "DELETECOLLECTION", "namespace"],
    ["GET", "/api/v1/nodes", false, "LIST", "cluster"],
    ["GET", "/healthz", false, "GET", ""],
  ])("%s %s (apply %s) → %s, %s", (method, url, apply, verb, scope) => {
    const i = info(method, url);
    expect(metricVerb(i, method, apply)).toBe(verb);
    expect(metricScope(i)).toBe(scope);
  });

  it("counts requests and times them in Kubernetes' metrics", async () => {
    const registry = createMetrics({ service: "test", defaultMetrics: false });
    const m = createHttpMetrics(registry);
    const labels = {
      verb: "LIST",
      group: "",
      version: "v1",
      resource: "serviceaccounts",
      subresource: "",
      scope: "namespace",
      dryRun: false,
    };
    m.observe(labels, 200, 0.003);
    m.observe(labels, 200, 0.3);
    // registering again on the same registry finds the same metrics
    createHttpMetrics(registry).observe(labels, 403, 0.001);
    const series = {
      verb: "LIST",
      group: "",
      version: "v1",
      resource: "serviceaccounts",
      subresource: "",
      scope: "namespace",
      component: "apiserver",
    };
    expect(await metricValue(registry, "apiserver_request_total", { ...series, code: "200" })).toBe(2);
    expect(await metricValue(registry, "apiserver_request_total", { ...series, code: "403" })).toBe(1);
    expect(
      await metricValue(registry, "apiserver_request_duration_seconds", { ...series, dry_run: "" }),
    ).toBe(3);
    const duration = await registry.getSingleMetricAsString("apiserver_request_duration_seconds");
    expect(duration).toContain('apiserver_request_duration_seconds_bucket{le="0.005"');
  });
});
