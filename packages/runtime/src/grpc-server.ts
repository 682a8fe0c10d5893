/**
 * The gRPC server every service runs (DESIGN.md "Contracts: gRPC"): mutual TLS with the cluster
 * CA, the caller identified by its client certificate (CN = user, O = groups, as kube components
 * identify themselves), every call in the caller's trace, one debug log line and Prometheus
 * metrics per call, thrown errors mapped to gRPC by `grpc-status.ts`, and the standard
 * `grpc.health.v1.Health` service.
 */
import { readFileSync } from "node:fs";
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { StatusError } from "@tokenplane/apimachinery";
import { addService, type HandlerContext, type ServiceImpl } from "@tokenplane/proto";
import { HealthImplementation } from "grpc-health-check";
import { Counter, Histogram, type Registry } from "prom-client";
import { isExpectedError, statusErrorToGrpc } from "./grpc-status.js";
import type { Logger } from "./logger.js";
import { extractTrace, REQUEST_ID_HEADER, runWithTrace, TRACEPARENT_HEADER } from "./trace.js";

/** Server TLS material (PEM files). Client certificates are required and checked against the CA. */
export interface ServerTlsFiles {
  /** The serving certificate (chain), PEM. */
  readonly certFile: string;
  /** Its private key, PEM. */
  readonly keyFile: string;
  /** The CA bundle client certificates must chain to (the cluster CA), PEM. */
  readonly clientCaFile: string;
}

/** Options of {@link createGrpcServer}. */
export interface GrpcServerOptions {
  /** Logs one debug line per call, and unexpected handler errors in full. */
  readonly log: Logger;
  /** Mutual TLS: a caller without a certificate from `clientCaFile` is refused in the handshake. */
  readonly tls: ServerTlsFiles;
  /**
   * Registry for `grpc_server_handled_total` and `grpc_server_handling_seconds`; no metrics
   * without it.
   */
  readonly metrics?: Registry;
  /** Initial health of the server (the `""` service); default false (NOT_SERVING). */
  readonly serving?: boolean;
  /** Extra grpc-js server options (`grpc.max_receive_message_length`, ...). */
  readonly options?: grpc.ServerOptions;
}

/** Who is calling: the verified client certificate's subject. */
export interface Peer {
  /** The certificate's CN. */
  readonly user: string;
  /** The certificate's O values, in order. */
  readonly groups: readonly string[];
}

/**
 * Decides whether `peer` may call `method`. Return false for a 403 Forbidden
 * (`forbidden: User "<user>" cannot call <path>`), or throw a StatusError to send another one.
 */
export type Authorize = (peer: Peer, method: DescMethod, ctx: HandlerContext) => boolean | Promise<boolean>;

/** Options of {@link GrpcServer.addService}. */
export interface AddServiceOptions {
  /** Checked before every call of the service; default: every authenticated caller may call. */
  readonly authorize?: Authorize;
}

/** The `grpc.health.v1.Health` state of a server. */
export interface GrpcHealth {
  /** Sets the overall state (service `""`) and that of every service added. */
  setServing(serving: boolean): void;
  /** Sets the state of one service (`""` = the server as a whole). */
  setServing(serviceName: string, serving: boolean): void;
  /** True when `serviceName` (default `""`) is SERVING. */
  isServing(serviceName?: string): boolean;
}

/** A gRPC server built by {@link createGrpcServer}. */
export interface GrpcServer {
  /** The grpc-js server (for what this wrapper does not cover). */
  readonly server: grpc.Server;
  /** Serves `service` with `impl`; may be called before or after {@link listen}. */
  addService<S extends DescService>(service: S, impl: ServiceImpl<S>, options?: AddServiceOptions): void;
  /** The health service's state; also read by the metrics server's `/healthz` in the service kit. */
  readonly health: GrpcHealth;
  /** Binds `host:port` (port 0 picks a free one) and resolves to the port bound. */
  listen(host: string, port: number): Promise<number>;
  /**
   * Marks everything NOT_SERVING, stops accepting calls and waits for running calls to finish;
   * after `graceMs` (default 5000) cancels those still running. Later calls return the same
   * promise.
   */
  close(graceMs?: number): Promise<void>;
}

const peers = new WeakMap<HandlerContext, Peer>();

/**
 * The caller of a call, from its verified client certificate. Throws a 401 StatusError when the
 * connection carries no certificate (impossible on a server from {@link createGrpcServer}, which
 * requires one; possible on a server without client authentication).
 */
export function peer(ctx: HandlerContext): Peer {
  const cached = peers.get(ctx);
  if (cached !== undefined) return cached;
  const cert = ctx.call.getAuthContext().sslPeerCertificate;
  const subject = cert?.subject as Record<string, string | string[] | undefined> | undefined;
  const cn = values(subject?.CN)[0];
  if (cn === undefined) {
    throw new StatusError({ reason: "Unauthorized", code: 401, message: "Unauthorized" });
  }
  const p: Peer = { user: cn, groups: values(subject?.O) };
  peers.set(ctx, p);
  return p;
}

/** Node gives a repeated subject attribute as an array, a single one as a string. */
function values(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? [...v] : [v];
}

/**
 * Creates a server with mutual TLS and the health service (NOT_SERVING until told otherwise).
 * Reads the TLS files at once; a missing or unreadable file throws here, at start-up.
 */
export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  const { log } = options;
  const credentials = grpc.ServerCredentials.createSsl(
    readFileSync(options.tls.clientCaFile),
    [{ cert_chain: readFileSync(options.tls.certFile), private_key: readFileSync(options.tls.keyFile) }],
    true,
  );
  const server = new grpc.Server(options.options);
  const healthImpl = new HealthImplementation({ "": options.serving ? "SERVING" : "NOT_SERVING" });
  healthImpl.addToServer(server);
  const states = new Map<string, boolean>([["", options.serving ?? false]]);
  const set = (name: string, serving: boolean) => {
    states.set(name, serving);
    healthImpl.setStatus(name, serving ? "SERVING" : "NOT_SERVING");
  };
  const health: GrpcHealth = {
    setServing(a: string | boolean, b?: boolean) {
      if (typeof a === "boolean") {
        for (const name of states.keys()) set(name, a);
      } else {
        set(a, b ?? false);
      }
    },
    isServing: (name = "") => states.get(name) ?? false,
  };
  const metrics = options.metrics === undefined ? undefined : serverMetrics(options.metrics);
  let closing: Promise<void> | undefined;

  return {
    server,
    health,
    addService(service, impl, addOptions = {}) {
      const { authorize } = addOptions;
      addService(server, service, impl, {
        toStatus: (err) => statusErrorToGrpc(err),
        wrap: (method, ctx, run) =>
          runWithTrace(extractTrace(traceHeaders(ctx.metadata)), async () => {
            const path = `/${service.typeName}/${method.name}`;
            const start = performance.now();
            let user = "";
            let code: grpc.status = grpc.status.OK;
            try {
              const who = peer(ctx);
              user = who.user;
              if (authorize !== undefined && !(await authorize(who, method, ctx))) {
                throw new StatusError({
                  reason: "Forbidden",
                  code: 403,
                  message: `forbidden: User "${who.user}" cannot call ${path}`,
                });
              }
              await run();
              if (ctx.signal.aborted) code = grpc.status.CANCELLED;
            } catch (err) {
              code = statusErrorToGrpc(err).code;
              if (!isExpectedError(err))
                log.error({ err, method: path, user }, "unexpected error in gRPC handler");
              throw err;
            } finally {
              const seconds = (performance.now() - start) / 1000;
              const codeName = grpc.status[code] ?? String(code);
              log.debug(
                { method: path, user, ms: Math.round(seconds * 10_000) / 10, code: codeName },
                "grpc call",
              );
              if (metrics !== undefined) {
                const labels = { grpc_service: service.typeName, grpc_method: method.name };
                metrics.handled.inc({ ...labels, grpc_code: codeName });
                metrics.seconds.observe(labels, seconds);
              }
            }
          }),
      });
      if (!states.has(service.typeName)) set(service.typeName, states.get("") ?? false);
    },
    listen(host, port) {
      const address = host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
      return new Promise<number>((resolve, reject) => {
        server.bindAsync(address, credentials, (err, bound) => {
          if (err) {
            reject(err);
            return;
          }
          log.info({ host, port: bound }, "gRPC server listening");
          resolve(bound);
        });
      });
    },
    close(graceMs = 5_000) {
      if (closing !== undefined) return closing;
      health.setServing(false);
      closing = new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          log.warn({ graceMs }, "gRPC calls still running after the grace period; cancelling them");
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      return closing;
    },
  };
}

/** `traceparent` and `x-request-id` of the incoming metadata, as a header record. */
function traceHeaders(md: grpc.Metadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of [TRACEPARENT_HEADER, REQUEST_ID_HEADER]) {
    const v = md.get(key)[0];
    if (typeof v === "string") out[key] = v;
  }
  return out;
}

/**
 * The call metrics, shared by every server on a registry. Labels are `grpc_service`,
 * `grpc_method` and `grpc_code` (go-grpc-prometheus' names) rather than `service`/`method`/`code`:
 * `createMetrics` puts a `service` default label (the process) on every series, and a metric's
 * own label of that name would silently replace it.
 */
function serverMetrics(registry: Registry): { handled: Counter<string>; seconds: Histogram<string> } {
  const handled =
    (registry.getSingleMetric("grpc_server_handled_total") as Counter<string> | undefined) ??
    new Counter({
      name: "grpc_server_handled_total",
      help: "gRPC calls completed on the server, by service, method and status code.",
      labelNames: ["grpc_service", "grpc_method", "grpc_code"],
      registers: [registry],
    });
  const seconds =
    (registry.getSingleMetric("grpc_server_handling_seconds") as Histogram<string> | undefined) ??
    new Histogram({
      name: "grpc_server_handling_seconds",
      help: "Time from the start of a gRPC call to its status, by service and method (seconds).",
      labelNames: ["grpc_service", "grpc_method"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  return { handled, seconds };
}
