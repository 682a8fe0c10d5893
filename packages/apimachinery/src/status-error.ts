/**
 * Kubernetes `Status` failures as one error type, with the constructors of apimachinery's
 * `pkg/api/errors/errors.go` and their exact message texts (reference §8.1).
 *
 * Every service throws `StatusError` for API failures; one place per transport turns it into
 * an HTTP `Status` body or a gRPC status (and back, so a caller sees the same Status).
 */
import { aggregateFieldErrors, type FieldError, fieldErrorBody } from "./field-errors.js";

/** `metav1.StatusReason` values used here. */
export type StatusReason =
  | ""
  | "Unauthorized"
  | "Forbidden"
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "Gone"
  | "Invalid"
  | "ServerTimeout"
  | "Timeout"
  | "TooManyRequests"
  | "BadRequest"
  | "MethodNotAllowed"
  | "NotAcceptable"
  | "RequestEntityTooLarge"
  | "UnsupportedMediaType"
  | "InternalError"
  | "Expired"
  | "ServiceUnavailable";

/** `metav1.StatusCause` in its JSON form. */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** `metav1.StatusDetails` in its JSON form. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** `metav1.Status` in its JSON form (what the HTTPS API writes). */
export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never> | { resourceVersion?: string };
  status: "Success" | "Failure";
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** A group and resource, printed as `resource` or `resource.group` (GroupResource.String()). */
export interface GroupResource {
  group: string;
  resource: string;
}

/** A group and kind, printed as `Kind` or `Kind.group` (GroupKind.String()). */
export interface GroupKind {
  group: string;
  kind: string;
}

export function groupResourceString(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

export function groupKindString(gk: GroupKind): string {
  return gk.group ? `${gk.kind}.${gk.group}` : gk.kind;
}

/** An API failure carrying the Kubernetes `Status` the caller must see. */
export class StatusError extends Error {
  readonly status: Status;
  /** Extra warnings to send with the failure (Kubernetes `Warning` headers). */
  readonly warnings: readonly string[];

  constructor(
    status: Omit<Status, "kind" | "apiVersion" | "metadata" | "status"> & { message: string },
    warnings: readonly string[] = [],
  ) {
    super(status.message);
    this.name = "StatusError";
    this.status = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", ...status };
    this.warnings = warnings;
  }

  /** HTTP status code. */
  get code(): number {
    return this.status.code;
  }

  get reason(): StatusReason {
    return this.status.reason ?? "";
  }

  /** Rebuilds an error from a Status received over a transport. */
  static fromStatus(status: Status): StatusError {
    const { kind: _k, apiVersion: _a, metadata: _m, status: _s, ...rest } = status;
    return new StatusError({ ...rest, message: status.message ?? "" });
  }
}

/** True when `err` is a StatusError with the given reason. */
export function isStatusReason(err: unknown, reason: StatusReason): err is StatusError {
  return err instanceof StatusError && err.reason === reason;
}

export const isNotFound = (err: unknown): err is StatusError => isStatusReason(err, "NotFound");
export const isAlreadyExists = (err: unknown): err is StatusError => isStatusReason(err, "AlreadyExists");
export const isConflict = (err: unknown): err is StatusError => isStatusReason(err, "Conflict");

/** 404 `<resource> "<name>" not found`. */
export function newNotFound(gr: GroupResource, name: string): StatusError {
  return new StatusError({
    reason: "NotFound",
    code: 404,
    message: `${groupResourceString(gr)} "${name}" not found`,
    details: { name, ...(gr.group ? { group: gr.group } : {}), kind: gr.resource },
  });
}

/** 409 `<resource> "<name>" already exists`. */
export function newAlreadyExists(gr: GroupResource, name: string): StatusError {
  return new StatusError({
    reason: "AlreadyExists",
    code: 409,
    message: `${groupResourceString(gr)} "${name}" already exists`,
    details: { name, ...(gr.group ? { group: gr.group } : {}), kind: gr.resource },
  });
}

/** 409 `Operation cannot be fulfilled on <resource> "<name>": <err>`. */
export function newConflict(gr: GroupResource, name: string, err: string): StatusError {
  return new StatusError({
    reason: "Conflict",
    code: 409,
    message: `Operation cannot be fulfilled on ${groupResourceString(gr)} "${name}": ${err}`,
    details: { name, ...(gr.group ? { group: gr.group } : {}), kind: gr.resource },
  });
}

/** The text of the optimistic-concurrency conflict (reference §8.3). */
export const OptimisticLockErrorMsg =
  "the object has been modified; please apply your changes to the latest version and try again";

/** 422 `<Kind> "<name>" is invalid: <aggregate>` with one cause per field error. */
export function newInvalid(gk: GroupKind, name: string, errs: readonly FieldError[]): StatusError {
  return new StatusError({
    reason: "Invalid",
    code: 422,
    message: `${groupKindString(gk)} "${name}" is invalid: ${aggregateFieldErrors(errs)}`,
    details: {
      name,
      ...(gk.group ? { group: gk.group } : {}),
      kind: gk.kind,
      causes: errs.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field })),
    },
  });
}

/** 403 `<resource> "<name>" is forbidden: <err>` (or without the name when it is empty). */
export function newForbidden(gr: GroupResource, name: string, err: string): StatusError {
  const what = name ? `${groupResourceString(gr)} "${name}"` : groupResourceString(gr);
  return new StatusError({
    reason: "Forbidden",
    code: 403,
    message: `${what} is forbidden: ${err}`,
    details: { name, ...(gr.group ? { group: gr.group } : {}), kind: gr.resource },
  });
}

/** 400 with the given message. */
export function newBadRequest(message: string): StatusError {
  return new StatusError({ reason: "BadRequest", code: 400, message });
}

/** 401; the body never says why (the reason goes to the log, reference §1.3). */
export function newUnauthorized(message = "Unauthorized"): StatusError {
  return new StatusError({ reason: "Unauthorized", code: 401, message });
}

/** 500 `Internal error occurred: <err>`. */
export function newInternalError(err: unknown): StatusError {
  const text = err instanceof Error ? err.message : String(err);
  return new StatusError({
    reason: "InternalError",
    code: 500,
    message: `Internal error occurred: ${text}`,
    details: { causes: [{ message: text }] },
  });
}

/** 405 `<action> is not supported on resources of kind "<resource>"`. */
export function newMethodNotSupported(gr: GroupResource, action: string): StatusError {
  return new StatusError({
    reason: "MethodNotAllowed",
    code: 405,
    message: `${action} is not supported on resources of kind "${groupResourceString(gr)}"`,
    details: { ...(gr.group ? { group: gr.group } : {}), kind: gr.resource },
  });
}

/** 410 Expired: a watch or list asked for a resourceVersion older than the kept history. */
export function newResourceExpired(message: string): StatusError {
  return new StatusError({ reason: "Expired", code: 410, message });
}

/** 415 for a body whose content type the endpoint does not accept. */
export function newUnsupportedMediaType(contentType: string, supported: readonly string[]): StatusError {
  return new StatusError({
    reason: "UnsupportedMediaType",
    code: 415,
    message: `the body of the request was in an unknown format - accepted media types include: ${supported.join(", ")}`,
    details: { causes: [{ reason: "UnsupportedMediaType", message: contentType }] },
  });
}

/** 406 when nothing in Accept can be produced. */
export function newNotAcceptable(supported: readonly string[]): StatusError {
  return new StatusError({
    reason: "NotAcceptable",
    code: 406,
    message: `only the following media types are accepted: ${supported.join(", ")}`,
  });
}

/** 413 for a body over the size limit. */
export function newRequestEntityTooLarge(message: string): StatusError {
  return new StatusError({
    reason: "RequestEntityTooLarge",
    code: 413,
    message: `Request entity too large: ${message}`,
  });
}

/** 429 with Retry-After seconds. */
export function newTooManyRequests(message: string, retryAfterSeconds: number): StatusError {
  return new StatusError({
    reason: "TooManyRequests",
    code: 429,
    message,
    details: { retryAfterSeconds },
  });
}

/** 503. */
export function newServiceUnavailable(message: string): StatusError {
  return new StatusError({ reason: "ServiceUnavailable", code: 503, message });
}

/** 504 ServerTimeout-style failure when a dependency did not answer in time. */
export function newTimeout(message: string, retryAfterSeconds = 0): StatusError {
  return new StatusError({
    reason: "Timeout",
    code: 504,
    message,
    ...(retryAfterSeconds ? { details: { retryAfterSeconds } } : {}),
  });
}

/** Kubernetes' generic reason for an HTTP code, used when a Status arrives without one. */
export function reasonForCode(code: number): StatusReason {
  switch (code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 406:
      return "NotAcceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 413:
      return "RequestEntityTooLarge";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return code >= 500 ? "InternalError" : "";
  }
}
