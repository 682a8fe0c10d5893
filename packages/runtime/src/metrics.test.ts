import { request } from "node:http";
import { Counter } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";
import { createMetrics, type MetricsServer, startMetricsServer } from "./metrics.js";

const log = createLogger({ service: "test", level: "silent", pretty: false });

function get(port: number, path: string, method = "GET") {
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, type: res.headers["content-type"] ?? "", body }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

describe("metrics", () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("serves the registry with the service label and default metrics", async () => {
    const registry = createMetrics({ service: "apiserver" });
    const counter = new Counter({
      name: "tokenplane_tokens_issued_total",
      help: "tokens issued",
      registers: [registry],
    });
    counter.inc(3);
    server = await startMetricsServer({ port: 0, registry, log });
    expect(server.port).toBeGreaterThan(0);
    const res = await get(server.port, "/metrics");
    expect(res.status).toBe(200);
    expect(res.type).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(res.body).toContain('tokenplane_tokens_issued_total{service="apiserver"} 3');
    expect(res.body).toMatch(/^process_cpu_user_seconds_total\{service="apiserver"\} /m);
  });

  it("answers /healthz, 404 and 405", async () => {
    server = await startMetricsServer({
      port: 0,
      registry: createMetrics({ service: "x", defaultMetrics: false }),
      log,
    });
    expect(await get(server.port, "/healthz")).toMatchObject({ status: 200, body: "ok" });
    expect(await get(server.port, "/healthz?verbose")).toMatchObject({ status: 200, body: "ok" });
    expect(await get(server.port, "/nope")).toMatchObject({ status: 404 });
    expect(await get(server.port, "/metrics", "POST")).toMatchObject({ status: 405 });
  });

  it("answers /healthz 503 until healthy() says ready", async () => {
    let ready = false;
    server = await startMetricsServer({
      port: 0,
      registry: createMetrics({ service: "x", defaultMetrics: false }),
      log,
      healthy: () => ready,
    });
    expect(await get(server.port, "/healthz")).toMatchObject({ status: 503, body: "not ready" });
    ready = true;
    expect(await get(server.port, "/healthz")).toMatchObject({ status: 200, body: "ok" });
    ready = false;
    expect(await get(server.port, "/healthz")).toMatchObject({ status: 503, body: "not ready" });
    expect(await get(server.port, "/metrics")).toMatchObject({ status: 200 });
  });

  it("can leave out default metrics", async () => {
    const registry = createMetrics({ service: "x", defaultMetrics: false });
    expect(await registry.metrics()).toBe("\n");
  });

  it("stops listening on close", async () => {
    const s = await startMetricsServer({
      port: 0,
      registry: createMetrics({ service: "x", defaultMetrics: false }),
      log,
    });
    await s.close();
    await expect(get(s.port, "/healthz")).rejects.toThrow(/ECONNREFUSED/);
  });
});
