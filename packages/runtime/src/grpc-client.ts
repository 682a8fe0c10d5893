/**
 * Calling other services over gRPC with mutual TLS: a channel per server, typed clients for the
 * apiserver's internal API and the admission plugin, the current trace sent with every call, and
 * every failure turned into the {@link StatusError} the server threw (or a 503/504 one when the
 * server could not be reached in time), so callers handle one error type whatever the transport.
 *
 * Calls do not wait for a connection (`waitForReady: false`, grpc-js's default): while the server
 * is down they fail at once with 503 ServiceUnavailable and the caller retries with back-off.
 * grpc-js reconnects by itself in the background; the reconnect back-off is capped at
 * {@link MAX_RECONNECT_BACKOFF_MS} (grpc's default cap is 120 s) so that a restarted server is
 * found again quickly.
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { checkServerIdentity } from "node:tls";
import type { DescService } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import type { StatusError } from "@tokenplane/apimachinery";
import { type CallOptions, createClient, type ServiceClient, tokenplanev1 } from "@tokenplane/proto";
import { grpcErrorToStatusError, warningsFromMetadata } from "./grpc-status.js";
import type { Logger } from "./logger.js";
import { currentTrace, injectTrace } from "./trace.js";

/** Largest pause between reconnect attempts, milliseconds. */
export const MAX_RECONNECT_BACKOFF_MS = 5_000;
/** First pause between reconnect attempts, milliseconds. */
export const INITIAL_RECONNECT_BACKOFF_MS = 250;

/** Client TLS material (PEM files): the service's own certificate is its identity. */
export interface ClientTlsFiles {
  /** The client certificate (CN = user, O = groups), PEM. */
  readonly certFile: string;
  /** Its private key, PEM. */
  readonly keyFile: string;
  /** The CA bundle the server's certificate must chain to (the cluster CA), PEM. */
  readonly caFile: string;
}

/** Options of {@link createGrpcChannel}. */
export interface GrpcChannelOptions {
  /**
   * `host:port` of the server (`127.0.0.1:6444`, `localhost:6444`, `[::1]:6444`). The server's
   * certificate is verified against `host`: a DNS name against its DNS SANs, an IP address
   * against its IP SANs (Node's `checkServerIdentity` does both).
   */
  readonly address: string;
  /** Client certificate, key and the CA to trust. */
  readonly tls: ClientTlsFiles;
  /**
   * Verify the server's certificate against this name instead of the host of `address`, and send
   * it as the TLS SNI and `:authority` (grpc-js option `grpc.ssl_target_name_override`). Only
   * needed when the address is not among the certificate's SANs (dialling `10.0.0.5` for a
   * certificate issued to `apiserver`). Default: the host of `address`.
   */
  readonly serverName?: string;
  /** Extra grpc-js channel options. */
  readonly options?: grpc.ChannelOptions;
}

/** A connection to one server, shared by the typed clients made on it. */
export interface GrpcChannel {
  /** The address dialled, as given. */
  readonly address: string;
  /** The grpc-js client owning the channel (typed clients are views on it). */
  readonly client: grpc.Client;
  /** Closes the channel; calls still running fail with 503. */
  close(): void;
}

/**
 * The SNI name sent when dialling an IP address (see {@link createGrpcChannel}). Never used to
 * verify anything.
 */
export const IP_DIAL_SNI_NAME = "localhost";

/**
 * Opens a channel with mutual TLS. The files are read at once (a missing file throws here); the
 * connection itself is made lazily by the first call and re-made by grpc-js after failures.
 *
 * Dialling an IP address: grpc-js hands the host to Node's TLS both as the name to verify and as
 * the SNI ServerName. Verification against the certificate's IP SANs works as it is (Node's
 * `checkServerIdentity` handles IPs), but an IP address as ServerName is forbidden by RFC 6066
 * and Node prints a DEP0123 deprecation warning for it. So for an IP host (and no `serverName`)
 * the channel sets `grpc.ssl_target_name_override` to {@link IP_DIAL_SNI_NAME}, which only
 * changes the SNI, and passes grpc-js a `checkServerIdentity` that ignores the name grpc-js hands
 * it and verifies the certificate against the dialled IP itself. A certificate without that IP
 * among its SANs is refused (tested).
 */
export function createGrpcChannel(options: GrpcChannelOptions): GrpcChannel {
  const host = hostOf(options.address);
  const ipDial = options.serverName === undefined && isIP(host) !== 0;
  const credentials = grpc.credentials.createSsl(
    readFileSync(options.tls.caFile),
    readFileSync(options.tls.keyFile),
    readFileSync(options.tls.certFile),
    ipDial ? { checkServerIdentity: (_name, cert) => checkServerIdentity(host, cert) } : {},
  );
  const override = ipDial ? IP_DIAL_SNI_NAME : options.serverName;
  const channelOptions: grpc.ChannelOptions = {
    "grpc.initial_reconnect_backoff_ms": INITIAL_RECONNECT_BACKOFF_MS,
    "grpc.max_reconnect_backoff_ms": MAX_RECONNECT_BACKOFF_MS,
    ...(override === undefined ? {} : { "grpc.ssl_target_name_override": override }),
    ...(options.serverName === undefined ? {} : { "grpc.default_authority": options.serverName }),
    ...options.options,
  };
  const client = new grpc.Client(options.address, credentials, channelOptions);
  return { address: options.address, client, close: () => client.close() };
}

/** The host of `host:port` / `[v6]:port` / a bare host (`dns:` and `ipv4:` schemes stripped). */
function hostOf(address: string): string {
  const a = address.replace(/^(dns|ipv4|ipv6):(\/\/[^/]*\/)?/, "");
  if (a.startsWith("[")) return a.slice(1, a.indexOf("]"));
  const colon = a.lastIndexOf(":");
  return colon === -1 || a.indexOf(":") !== colon ? a : a.slice(0, colon);
}

/** Options of the typed clients. */
export interface ServiceClientOptions {
  /** Logs warnings the server sent with successful calls (at warn, with the method). */
  readonly log?: Logger;
  /**
   * Deadline of unary calls that give none, milliseconds from the call; 0 = none. Default 30000.
   * Streaming calls (watches) get no default deadline.
   */
  readonly timeoutMs?: number;
}

/** The apiserver's internal gRPC API (proto/tokenplane/v1/apiserver.proto). */
export interface ApiserverClient {
  readonly objects: ServiceClient<typeof tokenplanev1.ObjectService>;
  readonly tokens: ServiceClient<typeof tokenplanev1.TokenService>;
  readonly authorization: ServiceClient<typeof tokenplanev1.AuthorizationService>;
  readonly keys: ServiceClient<typeof tokenplanev1.KeySetService>;
}

/** The admission plugin's gRPC API (proto/tokenplane/v1/admission.proto). */
export interface AdmissionClient {
  readonly admission: ServiceClient<typeof tokenplanev1.AdmissionService>;
}

/**
 * Typed clients for the apiserver on `channel`: every call carries the current trace
 * (`traceparent`, `x-request-id`) and fails with a {@link StatusError}.
 */
export function createApiserverClient(
  channel: GrpcChannel,
  options: ServiceClientOptions = {},
): ApiserverClient {
  return {
    objects: createTracedClient(tokenplanev1.ObjectService, channel, options),
    tokens: createTracedClient(tokenplanev1.TokenService, channel, options),
    authorization: createTracedClient(tokenplanev1.AuthorizationService, channel, options),
    keys: createTracedClient(tokenplanev1.KeySetService, channel, options),
  };
}

/** A typed client for the admission plugin on `channel`, like {@link createApiserverClient}. */
export function createAdmissionClient(
  channel: GrpcChannel,
  options: ServiceClientOptions = {},
): AdmissionClient {
  return { admission: createTracedClient(tokenplanev1.AdmissionService, channel, options) };
}

/**
 * A typed client for any service: trace metadata on every call, errors mapped to
 * {@link StatusError} naming the channel's address and the method, a default deadline on unary
 * calls, and warnings of successful calls logged (the caller's own `onTrailers` still runs).
 */
export function createTracedClient<S extends DescService>(
  service: S,
  channel: GrpcChannel,
  options: ServiceClientOptions = {},
): ServiceClient<S> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const { log } = options;
  const out: Record<string, unknown> = {};
  for (const method of service.methods) {
    const path = `/${service.typeName}/${method.name}`;
    // One generic client per method, so that errors can name the method.
    const inner = createClient(service, channel.client, {
      metadata: () => {
        if (currentTrace() === undefined) return undefined;
        const md = new grpc.Metadata();
        for (const [k, v] of Object.entries(injectTrace({}))) md.set(k, v);
        return md;
      },
      fromError: (err) => grpcErrorToStatusError(err, { target: channel.address, method: path }),
    }) as Record<string, (req: unknown, opts?: CallOptions) => unknown>;
    const fn = inner[method.localName];
    if (fn === undefined) continue;
    const withDefaults = (opts: CallOptions = {}): CallOptions => {
      const own = opts.onTrailers;
      return {
        ...opts,
        ...(opts.deadline === undefined && timeoutMs > 0 && method.methodKind === "unary"
          ? { deadline: Date.now() + timeoutMs }
          : {}),
        onTrailers: (md) => {
          if (log !== undefined) {
            const warnings = warningsFromMetadata(md);
            if (warnings.length > 0) log.warn({ method: path, warnings }, "server sent warnings");
          }
          own?.(md);
        },
      };
    };
    out[method.localName] = (req: unknown, opts?: CallOptions) => fn(req, withDefaults(opts));
  }
  return out as ServiceClient<S>;
}
