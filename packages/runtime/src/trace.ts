/**
 * Trace context: W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header)
 * plus a request id, carried across HTTPS headers, gRPC metadata and NATS message headers, and bound
 * to the async call chain so that every log line of a request carries the same ids.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";

/** Header (and gRPC metadata key / NATS header) that carries the W3C trace parent. */
export const TRACEPARENT_HEADER = "traceparent";
/** Header that carries the request id. */
export const REQUEST_ID_HEADER = "x-request-id";

/** The parsed fields of a `traceparent` value. */
export interface TraceParent {
  /** 32 lower-case hex characters, not all zero. */
  readonly traceId: string;
  /** 16 lower-case hex characters, not all zero: the caller's span (the W3C "parent-id"). */
  readonly spanId: string;
  /** The trace-flags byte (bit 0 = sampled). */
  readonly flags: number;
}

/** The trace context of one unit of work: the span it runs in and the request it serves. */
export interface TraceContext extends TraceParent {
  /** The request id: the caller's `X-Request-Id` when it gave a usable one, else the trace id. */
  readonly requestId: string;
}

/** Result of a parser that does not throw (hot path: every request and every event). */
export type ParseResult<T> = { readonly value: T } | { readonly error: string };

/** The sampled bit of trace-flags. */
const FLAG_SAMPLED = 0x01;
const HEX2 = /^[0-9a-f]{2}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const HEX32 = /^[0-9a-f]{32}$/;
const ZERO16 = "0".repeat(16);
const ZERO32 = "0".repeat(32);
/** A request id we are willing to echo into logs: printable ASCII, no spaces, at most 128 characters. */
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;
/** Length of a version-00 traceparent: 2 + 1 + 32 + 1 + 16 + 1 + 2. */
const TRACEPARENT_LENGTH = 55;

/**
 * Parses a `traceparent` value. Follows the spec's rules: lower-case hex only; version `ff` is
 * invalid; version `00` must be exactly 55 characters; a later version may append fields after a
 * `-` (they are ignored); all-zero trace or parent ids are invalid.
 */
export function parseTraceparent(header: string): ParseResult<TraceParent> {
  if (header.length < TRACEPARENT_LENGTH) return { error: `traceparent too short: "${header}"` };
  const version = header.slice(0, 2);
  if (!HEX2.test(version)) return { error: `invalid traceparent version: "${version}"` };
  if (version === "ff") return { error: `invalid traceparent version: "ff"` };
  if (version === "00" && header.length !== TRACEPARENT_LENGTH) {
    return { error: `traceparent of version 00 must be ${TRACEPARENT_LENGTH} characters: "${header}"` };
  }
  if (header.length > TRACEPARENT_LENGTH && header[TRACEPARENT_LENGTH] !== "-") {
    return { error: `invalid traceparent: "${header}"` };
  }
  if (header[2] !== "-" || header[35] !== "-" || header[52] !== "-") {
    return { error: `invalid traceparent: "${header}"` };
  }
  const traceId = header.slice(3, 35);
  const spanId = header.slice(36, 52);
  const flags = header.slice(53, 55);
  if (!HEX32.test(traceId) || traceId === ZERO32) return { error: `invalid trace-id: "${traceId}"` };
  if (!HEX16.test(spanId) || spanId === ZERO16) return { error: `invalid parent-id: "${spanId}"` };
  if (!HEX2.test(flags)) return { error: `invalid trace-flags: "${flags}"` };
  return { value: { traceId, spanId, flags: Number.parseInt(flags, 16) } };
}

/** True when `header` is a valid `traceparent` value. */
export function isValidTraceparent(header: string): boolean {
  return "value" in parseTraceparent(header);
}

/** Formats a version-00 `traceparent` value: `00-<trace-id>-<span-id>-<flags>`. */
export function formatTraceparent(ctx: TraceParent): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.flags.toString(16).padStart(2, "0")}`;
}

/**
 * Starts a new trace (sampled) with fresh random ids. The request id is `requestId` when given and
 * usable (printable ASCII without spaces, at most 128 characters), else the trace id.
 */
export function newTrace(requestId?: string): TraceContext {
  const traceId = randomHex(16, ZERO32);
  return {
    traceId,
    spanId: randomHex(8, ZERO16),
    flags: FLAG_SAMPLED,
    requestId: pickRequestId(requestId, traceId),
  };
}

/** A new span in the same trace, serving the same request. */
export function childOf(ctx: TraceContext): TraceContext {
  return { traceId: ctx.traceId, spanId: randomHex(8, ZERO16), flags: ctx.flags, requestId: ctx.requestId };
}

const storage = new AsyncLocalStorage<TraceContext>();

/** Runs `fn` with `ctx` as the current trace for it and everything it awaits or schedules. */
export function runWithTrace<T>(ctx: TraceContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** The trace context of the running code, if it was started by {@link runWithTrace}. */
export function currentTrace(): TraceContext | undefined {
  return storage.getStore();
}

/**
 * A plain header record: Node's `IncomingHttpHeaders`, a gRPC metadata map or NATS headers
 * turned into an object. Keys should be lower case; other cases are found too.
 */
export type HeaderRecord = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Writes `traceparent` and `x-request-id` for `ctx` (default: the current trace) into `headers`
 * and returns it. Writes nothing when there is no trace context.
 */
export function injectTrace(
  headers: Record<string, string>,
  ctx: TraceContext | undefined = currentTrace(),
): Record<string, string> {
  if (ctx !== undefined) {
    headers[TRACEPARENT_HEADER] = formatTraceparent(ctx);
    headers[REQUEST_ID_HEADER] = ctx.requestId;
  }
  return headers;
}

/**
 * The trace context for work triggered by a request or message carrying `headers`: a child span
 * of the caller's `traceparent` when it is valid, otherwise a new trace (an invalid header is
 * ignored, as the spec says to). The request id is the caller's `x-request-id` when usable,
 * otherwise the trace id.
 */
export function extractTrace(headers: HeaderRecord): TraceContext {
  const requestId = single(headers, REQUEST_ID_HEADER);
  const tp = single(headers, TRACEPARENT_HEADER);
  const parsed = tp === undefined ? undefined : parseTraceparent(tp.trim());
  if (parsed === undefined || "error" in parsed) return newTrace(requestId);
  const parent = parsed.value;
  return {
    traceId: parent.traceId,
    spanId: randomHex(8, ZERO16),
    flags: parent.flags,
    requestId: pickRequestId(requestId, parent.traceId),
  };
}

function pickRequestId(candidate: string | undefined, traceId: string): string {
  return candidate !== undefined && REQUEST_ID.test(candidate) ? candidate : traceId;
}

/** One value of header `name`: exact (lower-case) key first, then any case; repeated headers are ignored. */
function single(headers: HeaderRecord, name: string): string | undefined {
  let v = headers[name];
  if (v === undefined) {
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === name) {
        v = headers[key];
        break;
      }
    }
  }
  if (typeof v === "string") return v;
  if (v !== undefined && v.length === 1) return v[0];
  return undefined;
}

function randomHex(bytes: number, zero: string): string {
  for (;;) {
    const hex = randomBytes(bytes).toString("hex");
    if (hex !== zero) return hex;
  }
}
