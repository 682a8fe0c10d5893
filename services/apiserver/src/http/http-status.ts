/**
 * The `Status` failures the HTTP layer itself produces (routing, negotiation, body reading), with
 * the texts and shapes kube-apiserver writes, and the JSON form of any Status in Go's field order
 * with Go's `omitempty` (so `details: {"kind":"serviceaccounts"}`, not `"name":""`).
 */
import { type JsonObject, type Status, StatusError } from "@tokenplane/apimachinery";

/**
 * 404 for a path inside a served group-version that names no route (go-restful's service error
 * through `NewGenericServerResponse`).
 */
export function newRouteNotFound(): StatusError {
  return new StatusError({
    reason: "NotFound",
    code: 404,
    message: "the server could not find the requested resource",
    details: {},
  });
}

/** 405 for a method a served path does not take (`NewGenericServerResponse(405, ...)`). */
export function newRouteMethodNotAllowed(): StatusError {
  return new StatusError({
    reason: "MethodNotAllowed",
    code: 405,
    message: "the server does not allow this method on the requested resource",
    details: {},
  });
}

/** 415 `errUnsupportedMediaType` (negotiation package): no details. */
export function newUnsupportedMediaTypeError(accepts: readonly string[]): StatusError {
  return new StatusError({
    reason: "UnsupportedMediaType",
    code: 415,
    message: `the body of the request was in an unknown format - accepted media types include: ${accepts.join(", ")}`,
  });
}

/** 406 `errNotAcceptable` (negotiation package). */
export function newNotAcceptableError(accepts: readonly string[]): StatusError {
  return new StatusError({
    reason: "NotAcceptable",
    code: 406,
    message: `only the following media types are accepted: ${accepts.join(", ")}`,
  });
}

/** The 401 body, exactly (reference §1.3); the reason is only logged. */
export const unauthorizedBody =
  '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}\n';

const nonEmpty = (v: unknown) => v !== undefined && v !== "" && v !== 0;

/** A Status as Kubernetes serialises it: metav1.Status field order, omitempty fields dropped. */
export function statusToJson(status: Status): JsonObject {
  const out: JsonObject = { kind: "Status", apiVersion: "v1", metadata: { ...status.metadata } };
  out.status = status.status;
  if (nonEmpty(status.message)) out.message = status.message!;
  if (nonEmpty(status.reason)) out.reason = status.reason!;
  if (status.details !== undefined) {
    const d = status.details;
    const details: JsonObject = {};
    if (nonEmpty(d.name)) details.name = d.name!;
    if (nonEmpty(d.group)) details.group = d.group!;
    if (nonEmpty(d.kind)) details.kind = d.kind!;
    if (nonEmpty(d.uid)) details.uid = d.uid!;
    if (d.causes && d.causes.length > 0) {
      details.causes = d.causes.map((c) => {
        const cause: JsonObject = {};
        if (nonEmpty(c.reason)) cause.reason = c.reason!;
        if (nonEmpty(c.message)) cause.message = c.message!;
        if (nonEmpty(c.field)) cause.field = c.field!;
        return cause;
      });
    }
    if (nonEmpty(d.retryAfterSeconds)) details.retryAfterSeconds = d.retryAfterSeconds!;
    out.details = details;
  }
  if (nonEmpty(status.code)) out.code = status.code;
  return out;
}

/** A `Success` Status (delete of kinds that do not return the object). */
export function successStatus(details: { name: string; group: string; kind: string; uid: string }): Status {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Success",
    details,
    code: 0,
  };
}
