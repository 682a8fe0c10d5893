/**
 * What every handler of the HTTPS API works with: the Node request and response, the parsed URL
 * and request info, the authenticated caller's RequestContext, and the server's dependencies.
 * Handlers write their response through {@link respond} so that warnings and the negotiated
 * representation are applied in one place.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { JsonValue } from "@tokenplane/apimachinery";
import type { Logger } from "@tokenplane/runtime";
import type { Api } from "../api/api.js";
import type { RequestContext } from "../request/context.js";
import type { OutputFormat } from "./negotiate.js";
import type { RequestInfo } from "./request-info.js";
import { setWarnings, writeObject } from "./responses.js";

/** The server's dependencies, shared by all requests. */
export interface HttpApiDeps {
  api: Api;
  /** Largest request body accepted, bytes (413 above it). */
  maxRequestBytes: number;
  /** `host:port` clients reach the API at (discovery's serverAddressByClientCIDRs). */
  externalAddress: string;
  log: Logger;
  /** Milliseconds since the epoch (AGE cells, watch timeouts). */
  now: () => number;
  /** Readiness for `/readyz` (default: always ready). */
  ready?: () => boolean;
}

/** One request in flight. */
export interface ApiRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  info: RequestInfo;
  ctx: RequestContext;
  deps: HttpApiDeps;
  /** Filled by handlers for the request metrics. */
  metrics: { isApply: boolean; dryRun: boolean };
}

/** Writes a successful response: the context's warnings as headers, then the body. */
export function respond(r: ApiRequest, code: number, body: JsonValue, format?: OutputFormat): void {
  if (!r.res.headersSent) setWarnings(r.res, r.ctx.warnings);
  writeObject(r.res, code, body, format);
}
