import { describe, expect, it } from "vitest";
import { counter, gauge, histogram, metricValue } from "./metric-helpers.js";
import { createMetrics } from "./metrics.js";

describe("metric helpers", () => {
  it("get-or-create: a second registration returns the same metric", () => {
    const registry = createMetrics({ service: "t", defaultMetrics: false });
    const a = counter(registry, { name: "x_total", help: "x", labelNames: ["k"] });
    const b = counter(registry, { name: "x_total", help: "x", labelNames: ["k"] });
    expect(b).toBe(a);
  });

  it("reads counter, gauge and histogram values by labels", async () => {
    const registry = createMetrics({ service: "t", defaultMetrics: false });
    const c = counter(registry, { name: "c_total", help: "c", labelNames: ["code"] });
    c.inc({ code: "200" });
    c.inc({ code: "200" }, 2);
    c.inc({ code: "404" });
    expect(await metricValue(registry, "c_total", { code: "200" })).toBe(3);
    expect(await metricValue(registry, "c_total")).toBe(4);
    gauge(registry, { name: "g", help: "g" }).set(7);
    expect(await metricValue(registry, "g")).toBe(7);
    const h = histogram(registry, { name: "h_seconds", help: "h", buckets: [0.1, 1] });
    h.observe(0.5);
    h.observe(2);
    expect(await metricValue(registry, "h_seconds")).toBe(2);
    expect(await metricValue(registry, "missing_total")).toBe(0);
    expect(await registry.metrics()).toContain('c_total{code="200",service="t"} 3');
  });
});
