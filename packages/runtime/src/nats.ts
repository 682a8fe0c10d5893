/**
 * The NATS connection and the JetStream stream every committed change is published to (DESIGN.md
 * "Events"). A service keeps one connection for its life: it reconnects forever, because a NATS
 * outage must only delay events, never stop a service.
 */
import {
  connect,
  DebugEvents,
  Events,
  type JetStreamManager,
  type NatsConnection,
  NatsError,
  nanos,
  StorageType,
  type StreamConfig,
  type StreamInfo,
} from "nats";
import type { Logger } from "./logger.js";

/** Options of {@link connectNats}. */
export interface ConnectNatsOptions {
  /** Server URL(s), e.g. `nats://127.0.0.1:4222`. Credentials in a URL are never logged. */
  readonly servers: string | readonly string[];
  /** Connection name shown by the server (`apiserver`). */
  readonly name: string;
  /** Logs connection status changes. */
  readonly log: Logger;
  /** Pause between reconnect attempts to the same server, milliseconds; default 250. */
  readonly reconnectTimeWaitMs?: number;
  /**
   * Keep trying when the first connection fails (the server may start after the service);
   * default true. When false, the first failure rejects.
   */
  readonly waitOnFirstConnect?: boolean;
  /** User name for user/password authentication. */
  readonly user?: string;
  /** Password for user/password authentication (never logged). */
  readonly pass?: string;
  /** Token for token authentication (never logged). */
  readonly token?: string;
}

/**
 * Connects to NATS. Reconnects forever (`maxReconnectAttempts: -1`), logs disconnects (warn),
 * reconnects (info) and errors; the connection ends only when the caller drains or closes it.
 */
export async function connectNats(options: ConnectNatsOptions): Promise<NatsConnection> {
  const { log } = options;
  const servers = typeof options.servers === "string" ? [options.servers] : [...options.servers];
  const safeServers = servers.map(redactUrl);
  log.info({ servers: safeServers, name: options.name }, "connecting to NATS");
  const nc = await connect({
    servers,
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: options.reconnectTimeWaitMs ?? 250,
    waitOnFirstConnect: options.waitOnFirstConnect ?? true,
    ...(options.user === undefined ? {} : { user: options.user }),
    ...(options.pass === undefined ? {} : { pass: options.pass }),
    ...(options.token === undefined ? {} : { token: options.token }),
  });
  log.info({ server: redactUrl(nc.getServer()), serverVersion: nc.info?.version }, "connected to NATS");

  void (async () => {
    for await (const s of nc.status()) {
      const data = typeof s.data === "string" ? redactUrl(s.data) : s.data;
      switch (s.type) {
        case Events.Disconnect:
          log.warn({ server: data }, "disconnected from NATS; reconnecting");
          break;
        case Events.Reconnect:
          log.info({ server: data }, "reconnected to NATS");
          break;
        case Events.Error:
          log.error({ detail: data }, "NATS connection error");
          break;
        case Events.LDM:
          log.warn({ server: data }, "NATS server entering lame duck mode");
          break;
        case DebugEvents.StaleConnection:
          log.warn("NATS connection stale; reconnecting");
          break;
        default:
          log.debug({ event: s.type, data }, "NATS status");
      }
    }
  })();
  void nc.closed().then((err) => {
    if (err) log.error({ err }, "NATS connection closed with an error");
    else log.info("NATS connection closed");
  });
  return nc;
}

/** Options of {@link ensureStream}. */
export interface EnsureStreamOptions {
  /** Stream name (`TOKENPLANE`). */
  readonly name: string;
  /** Subjects the stream stores (`tokenplane.events.>`). */
  readonly subjects: readonly string[];
  /** Discard messages older than this, milliseconds; default unlimited. */
  readonly maxAgeMs?: number;
  /**
   * Window in which a repeated `Nats-Msg-Id` is stored only once, milliseconds; default 120000
   * (the server's own default). The outbox relies on it when it retries a publish.
   */
  readonly duplicateWindowMs?: number;
}

/**
 * Creates the stream with file storage, or updates it to the given subjects, age limit and
 * duplicate window when it exists. Safe to call from several services at once.
 */
export async function ensureStream(jsm: JetStreamManager, options: EnsureStreamOptions): Promise<StreamInfo> {
  const wanted = {
    subjects: [...options.subjects],
    max_age: nanos(options.maxAgeMs ?? 0),
    duplicate_window: nanos(options.duplicateWindowMs ?? 120_000),
  } satisfies Partial<StreamConfig>;
  const existing = await streamInfo(jsm, options.name);
  if (existing === undefined) {
    try {
      return await jsm.streams.add({ name: options.name, storage: StorageType.File, ...wanted });
    } catch (err) {
      // Another service created it in the meantime: fall through to update.
      if (!isApiError(err, 10058)) throw err;
    }
  }
  return jsm.streams.update(options.name, wanted);
}

/** The stream's info, or undefined when it does not exist. */
async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (isApiError(err, 10059)) return undefined;
    throw err;
  }
}

/**
 * True when `err` is a JetStream API error with the given `err_code` (10058 stream name in use,
 * 10059 stream not found, 10014 consumer not found, 10148 consumer already exists).
 */
export function isApiError(err: unknown, code: number): boolean {
  return err instanceof NatsError && err.api_error?.err_code === code;
}

/** `nats://user:secret@host:4222` → `nats://host:4222`; anything unparsable is returned unchanged. */
export function redactUrl(url: string): string {
  if (!url.includes("@")) return url;
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/@]*@/i, (_m, scheme: string | undefined) => scheme ?? "");
}
