/**
 * The Kubernetes HTTPS API of the apiserver: a node:https server (HTTP/1.1; kubectl and
 * client-go use it when no h2 is offered) that asks for a client certificate but does not require
 * one (`requestCert`, `rejectUnauthorized: false`): token clients have none, and a certificate
 * only counts when it verified against the cluster CA (`socket.authorized`).
 *
 * Every request runs through handle-request.ts (trace, authentication, routing, Status errors,
 * metrics, one log line). `close()` stops accepting, ends open watches, lets requests in flight
 * finish (up to `shutdownGraceMs`) and then drops what is left.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { Logger, MetricsRegistry } from "@tokenplane/runtime";
import type { Api } from "../api/api.js";
import type { RequestAuthenticator } from "../authn/authenticator.js";
import { handleRequest, type RequestChain } from "./handle-request.js";
import { createHttpMetrics } from "./http-metrics.js";
import { prepareOpenApi } from "./openapi-documents.js";

/** Options of {@link startHttpsApi}. */
export interface StartHttpsApiOptions {
  api: Api;
  authenticator: RequestAuthenticator;
  /** Address to listen on (`--bind-address`). */
  host: string;
  /** Port (`--secure-port`); 0 picks a free one. */
  port: number;
  /** PEM files: the serving certificate and key, and the CA that client certificates must chain to. */
  tls: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
  /** Largest request body, bytes (`--max-request-bytes`, default 3 MiB): larger ones get 413. */
  maxRequestBytes: number;
  /** `host:port` clients use (discovery's `serverAddressByClientCIDRs`). */
  externalAddress: string;
  log: Logger;
  /** The service's metrics registry (request counters and latencies are added to it). */
  metrics: MetricsRegistry;
  /** `/readyz` readiness; default always ready. */
  ready?: () => boolean;
  /** Milliseconds since the epoch; default `Date.now`. */
  now?: () => number;
  /** How long `close()` waits for requests in flight, ms; default 5000. */
  shutdownGraceMs?: number;
}

/** A running HTTPS API. */
export interface HttpsApi {
  /** The port bound (useful with port 0). */
  port: number;
  /** Stops the server (see the module comment). */
  close(): Promise<void>;
}

/** Starts the HTTPS API and resolves once it listens. */
export async function startHttpsApi(options: StartHttpsApiOptions): Promise<HttpsApi> {
  const { log } = options;
  const watches = new Set<() => void>();
  const chain: RequestChain = {
    deps: {
      api: options.api,
      maxRequestBytes: options.maxRequestBytes,
      externalAddress: options.externalAddress,
      log,
      now: options.now ?? Date.now,
      ...(options.ready ? { ready: options.ready } : {}),
    },
    authenticator: options.authenticator,
    metrics: createHttpMetrics(options.metrics),
    trackWatch: (stop) => {
      watches.add(stop);
      return () => watches.delete(stop);
    },
  };

  // built now rather than on kubectl's first apply (and adapted when the module cannot describe a kind)
  prepareOpenApi(log);

  const server: Server = createServer(
    {
      cert: readFileSync(options.tls.certFile),
      key: readFileSync(options.tls.keyFile),
      ca: readFileSync(options.tls.caFile),
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: "TLSv1.2",
    },
    (req, res) => {
      handleRequest(chain, req, res).catch((err: unknown) => {
        // handleRequest answers every failure itself; this is a last resort (a logging failure)
        log.error({ err }, "request handling failed");
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      });
    },
  );
  server.on("tlsClientError", (err) => log.debug({ err }, "TLS handshake failed"));

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ host: options.host, port }, "HTTPS API listening");

  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const stop of [...watches]) stop();
        server.closeIdleConnections();
        const timer = setTimeout(() => server.closeAllConnections(), options.shutdownGraceMs ?? 5000);
        timer.unref();
      });
      return closing;
    },
  };
}
