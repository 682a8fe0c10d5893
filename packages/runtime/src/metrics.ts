/**
 * Prometheus metrics: one registry per service with the default process metrics and a `service`
 * label on every series, served on a small plain-HTTP listener (loopback by default) next to a
 * liveness endpoint.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { collectDefaultMetrics, Registry } from "prom-client";
import type { Logger } from "./logger.js";

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /** Value of the `service` label added to every series (`apiserver`). */
  readonly service: string;
  /** Collect Node's default process metrics (CPU, memory, event loop lag, GC); default true. */
  readonly defaultMetrics?: boolean;
}

/**
 * Creates a registry for one service. Register metrics on it with prom-client's constructors:
 * `new Counter({ name, help, registers: [registry] })`.
 */
export function createMetrics(options: MetricsOptions): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  /** Address to listen on; default `127.0.0.1` (metrics are not for the outside world). */
  readonly host?: string;
  /** TCP port; 0 picks a free one (tests). */
  readonly port: number;
  /** The registry to expose. */
  readonly registry: Registry;
  /** Logs the listening address and scrape failures. */
  readonly log: Logger;
  /**
   * Readiness: while it returns false, `/healthz` answers 503 `not ready` (the launcher and the
   * tests wait for 200). Default: always ready, `/healthz` answers 200 `ok` once listening.
   */
  readonly healthy?: () => boolean;
}

/** A running metrics listener. */
export interface MetricsServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (Prometheus text format) and `GET /healthz` (200 `ok`, or 503 `not ready`
 * while `healthy()` is false); anything else is 404, other methods on those paths 405.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { registry, log } = options;
  const host = options.host ?? "127.0.0.1";
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics" && path !== "/healthz") {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res
        .writeHead(405, { "content-type": "text/plain; charset=utf-8", allow: "GET, HEAD" })
        .end("method not allowed\n");
      return;
    }
    if (path === "/healthz") {
      if (options.healthy !== undefined && !options.healthy()) {
        res.writeHead(503, { "content-type": "text/plain; charset=utf-8" }).end("not ready");
        return;
      }
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end("ok");
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { "content-type": registry.contentType }).end(body),
      (err: unknown) => {
        log.error({ err }, "collecting metrics failed");
        res
          .writeHead(500, { "content-type": "text/plain; charset=utf-8" })
          .end("collecting metrics failed\n");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ host, port }, "metrics server listening");
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err === undefined ? resolve() : reject(err)));
        server.closeAllConnections();
      }),
  };
}
