/**
 * Kubernetes `Status` failures over gRPC, both ways, in one place (STYLE.md §5: one mapping per
 * transport). A server turns a thrown {@link StatusError} into a gRPC status whose code suits the
 * HTTP code and whose trailers carry the whole Status, so the client rebuilds exactly the error
 * the server threw (code, reason, message, details) and an HTTPS front end can pass it on to
 * kubectl unchanged.
 *
 * Wire format (the contract between services):
 * - `tokenplane-status-bin` (binary metadata, one value): the UTF-8 JSON of the Kubernetes
 *   `Status`, exactly as the HTTPS API writes it (`{"kind":"Status","apiVersion":"v1",...}`).
 *   JSON rather than the `metav1.Status` proto because `StatusError` holds the JSON shape and the
 *   HTTPS API writes JSON; a proto copy would be a second encoding to keep in step.
 * - `warning` (text metadata, one value per warning): the Kubernetes warning text (what follows
 *   `299 - ` in an HTTP `Warning` header, unquoted). gRPC text metadata is printable ASCII only, so
 *   `%` and every character outside 0x20–0x7E are percent-encoded as their UTF-8 bytes (`%25`,
 *   `%C3%A9`); so is `,` (`%2C`), because HTTP/2 delivers repeated trailers joined by `, ` and the
 *   receiver splits them again on the commas. {@link warningsFromMetadata} decodes them. Sent on
 *   errors and, through {@link warningMetadata} and `ctx.sendTrailers`, on successful calls too.
 * - the gRPC status message is the Status `message`.
 */
import * as grpc from "@grpc/grpc-js";
import { type Status, StatusError, type StatusReason } from "@tokenplane/apimachinery";

/** Binary metadata key carrying the Kubernetes Status as JSON. */
export const STATUS_METADATA_KEY = "tokenplane-status-bin";
/** Text metadata key carrying one Kubernetes warning per value. */
export const WARNING_METADATA_KEY = "warning";

/** The message sent for an error that is not a StatusError: its detail stays in the server's log. */
export const INTERNAL_ERROR_MESSAGE = "Internal error occurred: unexpected server error; see the server log";

/**
 * The gRPC code for an HTTP status code (and reason, which splits 409):
 * 400/415/422 INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 NOT_FOUND,
 * 405 UNIMPLEMENTED, 409 AlreadyExists ALREADY_EXISTS, other 409 ABORTED, 410 OUT_OF_RANGE,
 * 413/429 RESOURCE_EXHAUSTED, 503 UNAVAILABLE, 504 DEADLINE_EXCEEDED, other 5xx INTERNAL, other
 * 4xx FAILED_PRECONDITION.
 */
export function grpcCodeForHttp(code: number, reason: StatusReason | string = ""): grpc.status {
  switch (code) {
    case 400:
    case 415:
    case 422:
      return grpc.status.INVALID_ARGUMENT;
    case 401:
      return grpc.status.UNAUTHENTICATED;
    case 403:
      return grpc.status.PERMISSION_DENIED;
    case 404:
      return grpc.status.NOT_FOUND;
    case 405:
      return grpc.status.UNIMPLEMENTED;
    case 409:
      return reason === "AlreadyExists" ? grpc.status.ALREADY_EXISTS : grpc.status.ABORTED;
    case 410:
      return grpc.status.OUT_OF_RANGE;
    case 413:
    case 429:
      return grpc.status.RESOURCE_EXHAUSTED;
    case 503:
      return grpc.status.UNAVAILABLE;
    case 504:
      return grpc.status.DEADLINE_EXCEEDED;
    default:
      return code >= 400 && code < 500 ? grpc.status.FAILED_PRECONDITION : grpc.status.INTERNAL;
  }
}

/**
 * The HTTP code and reason for a gRPC code, used when a failure arrives without the Status
 * trailer (it did not come from a tokenplane handler: transport failures, deadlines, another
 * server). The inverse of {@link grpcCodeForHttp} where that is one-to-one; CANCELLED counts as
 * 503 (the call did not complete; retrying is right), everything else as 500.
 */
export function httpForGrpcCode(code: grpc.status): { code: number; reason: StatusReason } {
  switch (code) {
    case grpc.status.INVALID_ARGUMENT:
      return { code: 400, reason: "BadRequest" };
    case grpc.status.UNAUTHENTICATED:
      return { code: 401, reason: "Unauthorized" };
    case grpc.status.PERMISSION_DENIED:
      return { code: 403, reason: "Forbidden" };
    case grpc.status.NOT_FOUND:
      return { code: 404, reason: "NotFound" };
    case grpc.status.ALREADY_EXISTS:
      return { code: 409, reason: "AlreadyExists" };
    case grpc.status.ABORTED:
      return { code: 409, reason: "Conflict" };
    case grpc.status.OUT_OF_RANGE:
      return { code: 410, reason: "Gone" };
    case grpc.status.RESOURCE_EXHAUSTED:
      return { code: 429, reason: "TooManyRequests" };
    case grpc.status.UNAVAILABLE:
    case grpc.status.CANCELLED:
      return { code: 503, reason: "ServiceUnavailable" };
    case grpc.status.DEADLINE_EXCEEDED:
      return { code: 504, reason: "Timeout" };
    default:
      return { code: 500, reason: "InternalError" };
  }
}

/** True for errors this module sends as they are (StatusErrors); anything else is "unexpected". */
export function isExpectedError(err: unknown): err is StatusError {
  return err instanceof StatusError;
}

/**
 * The gRPC status for an error thrown by a handler. A {@link StatusError} keeps its code (see
 * {@link grpcCodeForHttp}), message, full Status (`tokenplane-status-bin`) and warnings
 * (`warning`). Anything else becomes INTERNAL with {@link INTERNAL_ERROR_MESSAGE} and a 500
 * InternalError Status: the real message may hold internals (paths, keys, stack details), so the
 * caller logs it ({@link isExpectedError} tells which case it is) and never sends it.
 */
export function statusErrorToGrpc(err: unknown): grpc.StatusObject {
  const se: StatusError =
    err instanceof StatusError
      ? err
      : new StatusError({
          reason: "InternalError",
          code: 500,
          message: INTERNAL_ERROR_MESSAGE,
        });
  const metadata = warningMetadata(se.warnings);
  metadata.set(STATUS_METADATA_KEY, Buffer.from(JSON.stringify(se.status), "utf8"));
  return { code: grpcCodeForHttp(se.status.code, se.reason), details: se.status.message ?? "", metadata };
}

/** Where a failed call went, for the messages of errors without a Status trailer. */
export interface CallTarget {
  /** The server address dialled (`127.0.0.1:6444`). */
  readonly target: string;
  /** The method path (`/tokenplane.v1.ObjectService/Get`), when known. */
  readonly method?: string;
}

/**
 * The inverse of {@link statusErrorToGrpc}: the StatusError a client sees for a failed call. With
 * the Status trailer, exactly the server's StatusError (plus its warnings). Without it (the
 * server was unreachable, the deadline passed, a foreign server answered), a StatusError for the
 * gRPC code (see {@link httpForGrpcCode}) whose message names the target and quotes gRPC's
 * detail: UNAVAILABLE → 503 ServiceUnavailable `cannot reach 127.0.0.1:6444: <detail>`,
 * DEADLINE_EXCEEDED → 504 Timeout `127.0.0.1:6444 did not answer in time: <detail>`.
 */
export function grpcErrorToStatusError(err: unknown, where: CallTarget): StatusError {
  if (err instanceof StatusError) return err;
  const se = err as Partial<grpc.ServiceError> | undefined;
  const code: grpc.status = typeof se?.code === "number" ? se.code : grpc.status.UNKNOWN;
  const detail = se?.details ?? (err instanceof Error ? err.message : String(err));
  const md = se?.metadata instanceof grpc.Metadata ? se.metadata : undefined;
  const warnings = md === undefined ? [] : warningsFromMetadata(md);
  const status = md === undefined ? undefined : statusFromMetadata(md);
  if (status !== undefined) {
    const { kind: _k, apiVersion: _a, metadata: _m, status: _s, ...rest } = status;
    return new StatusError({ ...rest, message: status.message ?? "" }, warnings);
  }
  const { code: httpCode, reason } = httpForGrpcCode(code);
  const call = where.method === undefined ? where.target : `${where.target} (${where.method})`;
  let message: string;
  switch (code) {
    case grpc.status.UNAVAILABLE:
      message = `cannot reach ${call}: ${detail}`;
      break;
    case grpc.status.DEADLINE_EXCEEDED:
      message = `${call} did not answer in time: ${detail}`;
      break;
    case grpc.status.CANCELLED:
      message = `call to ${call} was cancelled: ${detail}`;
      break;
    default:
      message = `${call} answered ${grpc.status[code] ?? code}: ${detail}`;
  }
  return new StatusError({ code: httpCode, reason, message }, warnings);
}

/** The Status in `tokenplane-status-bin`, or undefined when absent or not a Status. */
export function statusFromMetadata(md: grpc.Metadata): Status | undefined {
  const raw = md.get(STATUS_METADATA_KEY)[0];
  if (!(raw instanceof Buffer)) return undefined;
  try {
    const parsed = JSON.parse(raw.toString("utf8")) as Partial<Status> | null;
    if (parsed === null || typeof parsed !== "object" || typeof parsed.code !== "number") return undefined;
    return { ...parsed, kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure" } as Status;
  } catch {
    return undefined;
  }
}

/** Metadata holding `warnings` under `warning`, one value each, percent-encoded as described above. */
export function warningMetadata(warnings: readonly string[]): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const w of warnings) md.add(WARNING_METADATA_KEY, encodeWarning(w));
  return md;
}

/** The warnings carried by `md` (response trailers or an error's metadata), decoded, in order. */
export function warningsFromMetadata(md: grpc.Metadata): string[] {
  const out: string[] = [];
  for (const v of md.get(WARNING_METADATA_KEY)) {
    // Repeated values may arrive joined by ", " (HTTP/2); our own commas are encoded.
    if (typeof v === "string") for (const part of v.split(/, ?/)) out.push(decodeWarning(part));
  }
  return out;
}

/**
 * Collects the warnings of successful calls: pass `onTrailers` as a call option, read
 * `warnings` after the call resolved.
 *
 * ```ts
 * const w = captureWarnings();
 * const sa = await api.objects.get(req, { onTrailers: w.onTrailers });
 * w.warnings; // ["..."]
 * ```
 */
export function captureWarnings(): { readonly warnings: string[]; onTrailers(md: grpc.Metadata): void } {
  const warnings: string[] = [];
  return {
    warnings,
    onTrailers: (md) => {
      warnings.push(...warningsFromMetadata(md));
    },
  };
}

/** Everything but printable ASCII, and `%` and `,` (see the module comment). */
const ESCAPE = /[^\x20-\x24\x26-\x2b\x2d-\x7e]+/gu;

function encodeWarning(text: string): string {
  return text.replace(ESCAPE, (run) =>
    Array.from(Buffer.from(run, "utf8"), (b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join(""),
  );
}

function decodeWarning(value: string): string {
  if (!value.includes("%")) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value; // not from us: show it as it came
  }
}
