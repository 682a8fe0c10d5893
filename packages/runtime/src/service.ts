/**
 * The service kit: everything a tokenplane service's `main.ts` does besides its own wiring, so
 * that `main.ts` stays about twenty lines (STYLE.md §4, kwok's thin main):
 *
 * ```ts
 * await runService(
 *   { name: "admission", summary: "The ServiceAccount admission plugin over gRPC.", flags: { ...apiserverClientFlags } },
 *   async (rt) => {
 *     const api = rt.apiserver();
 *     rt.grpc.addService(tokenplanev1.AdmissionService, admissionService({ api, log: rt.log, clock: rt.clock }));
 *     return {};
 *   },
 * );
 * ```
 *
 * `runService` parses the flags (`--help` prints them and exits 0; a bad flag prints the message
 * and exits 2), builds the logger, the metrics registry and server, and the gRPC server with
 * health, then runs the service's start-up callback. Health (gRPC and `/healthz`) reports
 * NOT_SERVING until the callback has resolved (and its `ready()`, if returned, says true). On
 * SIGINT/SIGTERM: health NOT_SERVING, the gRPC server stops accepting and drains, then the
 * closers run in reverse order of registration (what started last stops first), and the process
 * exits 0 (1 if a closer failed or time ran out). A callback that throws is logged and the
 * process shuts down with exit code 1.
 */
import { join } from "node:path";
import type { JetStreamClient, JetStreamManager, NatsConnection } from "nats";
import type { Registry } from "prom-client";
import { type Clock, systemClock } from "./clock.js";
import { type Config, defineFlags, type FlagSchema, parseFlags } from "./config.js";
import { ConfigError, HelpRequested } from "./errors.js";
import { type ApiserverClient, createApiserverClient, createGrpcChannel } from "./grpc-client.js";
import { createGrpcServer, type GrpcServer } from "./grpc-server.js";
import { createLogger, type Logger } from "./logger.js";
import { createMetrics, startMetricsServer } from "./metrics.js";
import { connectNats } from "./nats.js";
import { handleShutdown, type Shutdown } from "./shutdown.js";

/**
 * The flags every service takes (packages/stack passes them all). A service changes a default by
 * defining the same flag in its own schema (`"grpc-port": { ...commonFlags["grpc-port"], default: 6445 }`).
 */
export const commonFlags = defineFlags({
  "tokenplane-home": {
    type: "string",
    default: "./.tokenplane",
    env: "TOKENPLANE_HOME",
    unit: "path",
    help: "state directory (PKI, keys, data); the TLS files default to files under it",
  },
  "nats-url": {
    type: "string",
    default: "nats://127.0.0.1:4222",
    unit: "URL",
    help: "NATS server URL; several comma-separated",
  },
  "bind-address": {
    type: "string",
    default: "127.0.0.1",
    unit: "IP address",
    help: "address the gRPC and metrics servers listen on",
  },
  "grpc-port": {
    type: "int",
    default: 0,
    min: 0,
    max: 65535,
    unit: "port",
    help: "port of the gRPC server (the service's API and grpc.health.v1.Health, mutual TLS); 0 picks a free port",
  },
  "metrics-port": {
    type: "int",
    default: 0,
    min: 0,
    max: 65535,
    unit: "port",
    help: "port of the plain-HTTP /metrics and /healthz; 0 picks a free port",
  },
  "tls-cert-file": {
    type: "string",
    default: "",
    unit: "path",
    help: "certificate (PEM) this service serves with and presents as its identity; empty = <tokenplane-home>/pki/<service>.crt",
  },
  "tls-private-key-file": {
    type: "string",
    default: "",
    unit: "path",
    help: "private key (PEM) of --tls-cert-file; empty = <tokenplane-home>/pki/<service>.key",
  },
  "client-ca-file": {
    type: "string",
    default: "",
    unit: "path",
    help: "CA bundle (PEM) that peers' certificates must chain to, both callers and called servers; empty = <tokenplane-home>/pki/ca.crt",
  },
  "log-format": {
    type: "enum",
    values: ["auto", "json", "pretty"],
    default: "auto",
    help: "log line format; auto = pretty on a terminal, JSON otherwise",
  },
  "log-level": {
    type: "enum",
    values: ["trace", "debug", "info", "warn", "error"],
    default: "info",
    help: "least severe level logged",
  },
});

/** The schema of {@link commonFlags}. */
export type CommonFlags = typeof commonFlags;

/** The flag of services that call the apiserver (admission, token-controller, kubelet-sim, oidc-discovery). */
export const apiserverClientFlags = defineFlags({
  "apiserver-grpc-address": {
    type: "string",
    default: "127.0.0.1:6444",
    unit: "host:port",
    help: "the apiserver's gRPC address; its certificate must name this host (DNS or IP SAN)",
  },
});

/** A service's whole schema: the common flags, overridden or extended by its own. */
export type ServiceFlags<S extends FlagSchema> = Omit<CommonFlags, keyof S> & S;

/** What {@link runService} needs to know about the service. */
export interface ServiceDefinition<S extends FlagSchema> {
  /** Program name: the log's `service`, the certificate file names, the NATS connection name. */
  readonly name: string;
  /** One paragraph for `--help`. */
  readonly summary: string;
  /** The service's own flags (merged over {@link commonFlags}). */
  readonly flags?: S;
  /** Arguments; default `process.argv.slice(2)`. */
  readonly argv?: readonly string[];
  /** Environment; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Time for the whole shutdown, milliseconds; default 10000. */
  readonly shutdownTimeoutMs?: number;
  /** Time running gRPC calls get to finish at shutdown before they are cancelled, milliseconds; default 5000. */
  readonly grpcGraceMs?: number;
}

/** The NATS connection of a service, with its JetStream handles. */
export interface NatsHandles {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
}

/** What the start-up callback gets. */
export interface ServiceRuntime<S extends FlagSchema> {
  /** The parsed flags (camelCase keys). */
  readonly cfg: Config<ServiceFlags<S>>;
  readonly log: Logger;
  /** The service's registry (served on `/metrics`). */
  readonly metrics: Registry;
  /** The gRPC server, already listening; add the service's API with `grpc.addService`. */
  readonly grpc: GrpcServer;
  /** Register closers here (`shutdown.add(name, closer)`); they run in reverse order. */
  readonly shutdown: Shutdown;
  readonly clock: Clock;
  /** The TLS files in use, defaults resolved. */
  readonly tls: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
  /** The ports bound (useful when the flags said 0). */
  readonly ports: { readonly grpc: number; readonly metrics: number };
  /** Connects to `--nats-url` on first call (later calls share it); drained at shutdown. */
  connectNats(): Promise<NatsHandles>;
  /**
   * The apiserver client at `--apiserver-grpc-address`, made on first call with the service's
   * certificate as its identity; closed at shutdown. TypeError when the service's schema lacks
   * the flag (add {@link apiserverClientFlags}).
   */
  apiserver(): ApiserverClient;
}

/** What the start-up callback resolves to (`{}` when it has nothing to add). */
export interface ServiceStarted {
  /**
   * Readiness after start-up, polled every second: health follows it. Default: ready as soon as
   * the callback resolved.
   */
  readonly ready?: () => boolean;
}

/** How often `ready()` is polled into the gRPC health state, milliseconds. */
const READY_POLL_MS = 1_000;

/**
 * Runs a service: flags, logger, metrics, gRPC with health, shutdown, then `start(rt)`. Resolves
 * once the service is serving; the process then lives until a signal ends it. For `--help` and
 * configuration errors it prints and exits (0 and 2) without starting anything.
 */
export async function runService<S extends FlagSchema = Record<never, never>>(
  definition: ServiceDefinition<S>,
  start: (rt: ServiceRuntime<S>) => Promise<ServiceStarted>,
): Promise<void> {
  const { name } = definition;
  const schema = defineFlags({ ...commonFlags, ...(definition.flags ?? {}) }) as unknown as ServiceFlags<S>;
  let cfg: Config<ServiceFlags<S>>;
  try {
    cfg = parseFlags(schema, {
      program: name,
      summary: definition.summary,
      ...(definition.argv === undefined ? {} : { argv: definition.argv }),
      ...(definition.env === undefined ? {} : { env: definition.env }),
    });
  } catch (err) {
    if (err instanceof HelpRequested) return exitAfter(process.stdout, err.help, 0);
    if (err instanceof ConfigError) {
      return exitAfter(process.stderr, `${name}: ${err.message}\nRun '${name} --help' for usage.\n`, 2);
    }
    throw err;
  }
  // The common flags are always in the schema; read them through one typed view.
  const common = cfg as unknown as Config<CommonFlags>;
  const home = common.tokenplaneHome;
  const tls = {
    certFile: common.tlsCertFile || join(home, "pki", `${name}.crt`),
    keyFile: common.tlsPrivateKeyFile || join(home, "pki", `${name}.key`),
    caFile: common.clientCaFile || join(home, "pki", "ca.crt"),
  };
  const log = createLogger({
    service: name,
    level: common.logLevel,
    pretty: common.logFormat === "pretty" || (common.logFormat === "auto" && process.stdout.isTTY === true),
  });
  log.info({ config: cfg }, "starting");

  let failed = false;
  const shutdown = handleShutdown({
    log,
    timeoutMs: definition.shutdownTimeoutMs ?? 10_000,
    process: {
      on: (signal, listener) => process.on(signal, listener),
      off: (signal, listener) => process.off(signal, listener),
      exit: (code) => process.exit(failed ? 1 : code),
    },
  });
  const fail = async (err: unknown, what: string): Promise<never> => {
    log.error({ err }, what);
    failed = true;
    await shutdown.shutdown(what);
    // handleShutdown exits; this only satisfies the type checker.
    throw err;
  };

  const metrics = createMetrics({ service: name });
  let started = false;
  let grpc: GrpcServer;
  let ports: { grpc: number; metrics: number };
  try {
    grpc = createGrpcServer({
      log,
      tls: { certFile: tls.certFile, keyFile: tls.keyFile, clientCaFile: tls.caFile },
      metrics,
    });
    const metricsServer = await startMetricsServer({
      host: common.bindAddress,
      port: common.metricsPort,
      registry: metrics,
      log,
      healthy: () => started && grpc.health.isServing(),
    });
    shutdown.add("metrics server", () => metricsServer.close());
    const grpcPort = await grpc.listen(common.bindAddress, common.grpcPort);
    shutdown.add("gRPC server", () => grpc.close(definition.grpcGraceMs));
    ports = { grpc: grpcPort, metrics: metricsServer.port };
  } catch (err) {
    return fail(err, "cannot start the servers");
  }

  let nats: Promise<NatsHandles> | undefined;
  let apiserver: ApiserverClient | undefined;
  const rt: ServiceRuntime<S> = {
    cfg,
    log,
    metrics,
    grpc,
    shutdown,
    clock: systemClock,
    tls,
    ports,
    connectNats() {
      nats ??= (async () => {
        const nc = await connectNats({ servers: common.natsUrl.split(",").map((s) => s.trim()), name, log });
        shutdown.add("NATS connection", () => nc.drain());
        return { nc, js: nc.jetstream(), jsm: await nc.jetstreamManager() };
      })();
      return nats;
    },
    apiserver() {
      if (apiserver !== undefined) return apiserver;
      const address = (cfg as Record<string, unknown>).apiserverGrpcAddress;
      if (typeof address !== "string") {
        throw new TypeError(
          `${name}: apiserver() needs the --apiserver-grpc-address flag (apiserverClientFlags)`,
        );
      }
      const channel = createGrpcChannel({ address, tls });
      shutdown.add("apiserver channel", async () => channel.close());
      apiserver = createApiserverClient(channel, { log });
      return apiserver;
    },
  };

  let result: ServiceStarted;
  try {
    result = await start(rt);
  } catch (err) {
    return fail(err, "start-up failed");
  }
  // Registered last so that it runs first: stop serving before anything the service built closes.
  let poll: NodeJS.Timeout | undefined;
  shutdown.add("stop serving", async () => {
    if (poll !== undefined) clearInterval(poll);
    await grpc.close(definition.grpcGraceMs);
  });
  started = true;
  const check = result.ready;
  grpc.health.setServing(check === undefined ? true : check());
  if (check !== undefined) {
    poll = setInterval(() => {
      const now = check();
      if (now !== grpc.health.isServing()) {
        log.info({ ready: now }, now ? "ready" : "not ready");
        grpc.health.setServing(now);
      }
    }, READY_POLL_MS);
    poll.unref();
  }
  log.info({ grpcPort: ports.grpc, metricsPort: ports.metrics }, "serving");
}

/** Writes `text` to `stream`, waits until it is flushed, then exits with `code`. */
function exitAfter(stream: NodeJS.WriteStream, text: string, code: number): Promise<never> {
  return new Promise<never>(() => {
    stream.write(text, () => process.exit(code));
  });
}
