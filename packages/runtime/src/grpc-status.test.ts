import * as grpc from "@grpc/grpc-js";
import { newAlreadyExists, newConflict, newInvalid, StatusError } from "@tokenplane/apimachinery";
import { describe, expect, it } from "vitest";
import {
  captureWarnings,
  grpcCodeForHttp,
  grpcErrorToStatusError,
  httpForGrpcCode,
  INTERNAL_ERROR_MESSAGE,
  STATUS_METADATA_KEY,
  statusErrorToGrpc,
  warningMetadata,
  warningsFromMetadata,
} from "./grpc-status.js";

const failure = (code: number, reason: string) =>
  new StatusError({ code, reason: reason as StatusError["reason"], message: `m ${code}` });

describe("grpcCodeForHttp", () => {
  it.each([
    [400, "BadRequest", grpc.status.INVALID_ARGUMENT],
    [422, "Invalid", grpc.status.INVALID_ARGUMENT],
    [415, "UnsupportedMediaType", grpc.status.INVALID_ARGUMENT],
    [401, "Unauthorized", grpc.status.UNAUTHENTICATED],
    [403, "Forbidden", grpc.status.PERMISSION_DENIED],
    [404, "NotFound", grpc.status.NOT_FOUND],
    [405, "MethodNotAllowed", grpc.status.UNIMPLEMENTED],
    [406, "NotAcceptable", grpc.status.FAILED_PRECONDITION],
    [409, "AlreadyExists", grpc.status.ALREADY_EXISTS],
    [409, "Conflict", grpc.status.ABORTED],
    [410, "Expired", grpc.status.OUT_OF_RANGE],
    [413, "RequestEntityTooLarge", grpc.status.RESOURCE_EXHAUSTED],
    [429, "TooManyRequests", grpc.status.RESOURCE_EXHAUSTED],
    [500, "InternalError", grpc.status.INTERNAL],
    [501, "", grpc.status.INTERNAL],
    [503, "ServiceUnavailable", grpc.status.UNAVAILABLE],
    [504, "Timeout", grpc.status.DEADLINE_EXCEEDED],
  ])("%i %s → %s", (code, reason, want) => {
    expect(grpcCodeForHttp(code, reason)).toBe(want);
    expect(statusErrorToGrpc(failure(code, reason)).code).toBe(want);
  });
});

describe("httpForGrpcCode (failures without a Status trailer)", () => {
  it.each([
    [grpc.status.INVALID_ARGUMENT, 400, "BadRequest"],
    [grpc.status.UNAUTHENTICATED, 401, "Unauthorized"],
    [grpc.status.PERMISSION_DENIED, 403, "Forbidden"],
    [grpc.status.NOT_FOUND, 404, "NotFound"],
    [grpc.status.ALREADY_EXISTS, 409, "AlreadyExists"],
    [grpc.status.ABORTED, 409, "Conflict"],
    [grpc.status.OUT_OF_RANGE, 410, "Gone"],
    [grpc.status.RESOURCE_EXHAUSTED, 429, "TooManyRequests"],
    [grpc.status.UNAVAILABLE, 503, "ServiceUnavailable"],
    [grpc.status.CANCELLED, 503, "ServiceUnavailable"],
    [grpc.status.DEADLINE_EXCEEDED, 504, "Timeout"],
    [grpc.status.UNIMPLEMENTED, 500, "InternalError"],
    [grpc.status.UNKNOWN, 500, "InternalError"],
    [grpc.status.INTERNAL, 500, "InternalError"],
  ])("%s → %i %s", (code, http, reason) => {
    expect(httpForGrpcCode(code)).toEqual({ code: http, reason });
  });
});

/** What a client receives: the status object turned into a ServiceError. */
function asServiceError(s: grpc.StatusObject): grpc.ServiceError {
  return Object.assign(new Error(s.details), s);
}

describe("statusErrorToGrpc / grpcErrorToStatusError", () => {
  const where = { target: "127.0.0.1:6444", method: "/tokenplane.v1.ObjectService/Get" };

  it.each([
    ["AlreadyExists", newAlreadyExists({ group: "", resource: "serviceaccounts" }, "robot")],
    [
      "Conflict",
      newConflict({ group: "", resource: "serviceaccounts" }, "robot", "the object has been modified"),
    ],
    [
      "Invalid",
      newInvalid({ group: "", kind: "ServiceAccount" }, "Bad_Name", [
        {
          type: "FieldValueInvalid",
          field: "metadata.name",
          badValue: "Bad_Name",
          detail: "must be lower case",
        },
      ]),
    ],
  ])("round-trips %s with every Status field", (_name, err) => {
    const s = statusErrorToGrpc(err);
    expect(s.details).toBe(err.message);
    const back = grpcErrorToStatusError(asServiceError(s), where);
    expect(back).toBeInstanceOf(StatusError);
    expect(back.status).toEqual(err.status);
    expect(back.message).toBe(err.message);
  });

  it("carries warnings, percent-encoding what gRPC text metadata cannot hold", () => {
    const warnings = ["plain warning", "100% sure", "non-ASCII: café ✓", "tab\there", "a, b"];
    const err = new StatusError({ code: 403, reason: "Forbidden", message: "no" }, warnings);
    const s = statusErrorToGrpc(err);
    expect(s.metadata.get("warning")).toEqual([
      "plain warning",
      "100%25 sure",
      "non-ASCII: caf%C3%A9 %E2%9C%93",
      "tab%09here",
      "a%2C b",
    ]);
    expect(grpcErrorToStatusError(asServiceError(s), where).warnings).toEqual(warnings);
    expect(warningsFromMetadata(warningMetadata(warnings))).toEqual(warnings);
    // HTTP/2 may hand repeated values over joined by ", ".
    const joined = new grpc.Metadata();
    joined.set("warning", (s.metadata.get("warning") as string[]).join(", "));
    expect(warningsFromMetadata(joined)).toEqual(warnings);
  });

  it("sends an unexpected error as INTERNAL without its message", () => {
    const s = statusErrorToGrpc(new Error("open /etc/secret.key: permission denied"));
    expect(s.code).toBe(grpc.status.INTERNAL);
    expect(s.details).toBe(INTERNAL_ERROR_MESSAGE);
    expect(JSON.stringify(s)).not.toContain("secret.key");
    const back = grpcErrorToStatusError(asServiceError(s), where);
    expect(back.status).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      code: 500,
      reason: "InternalError",
      message: INTERNAL_ERROR_MESSAGE,
    });
  });

  it("turns a failure without a Status trailer into 503/504 naming the target", () => {
    const refused = asServiceError({
      code: grpc.status.UNAVAILABLE,
      details: "No connection established. Last error: connect ECONNREFUSED 127.0.0.1:6444",
      metadata: new grpc.Metadata(),
    });
    const e503 = grpcErrorToStatusError(refused, where);
    expect(e503.code).toBe(503);
    expect(e503.reason).toBe("ServiceUnavailable");
    expect(e503.message).toBe(
      "cannot reach 127.0.0.1:6444 (/tokenplane.v1.ObjectService/Get): No connection established. Last error: connect ECONNREFUSED 127.0.0.1:6444",
    );
    const late = asServiceError({
      code: grpc.status.DEADLINE_EXCEEDED,
      details: "Deadline exceeded",
      metadata: new grpc.Metadata(),
    });
    const e504 = grpcErrorToStatusError(late, { target: "localhost:1" });
    expect(e504.status).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      code: 504,
      reason: "Timeout",
      message: "localhost:1 did not answer in time: Deadline exceeded",
    });
  });

  it("ignores a Status trailer that is not a Status", () => {
    const md = new grpc.Metadata();
    md.set(STATUS_METADATA_KEY, Buffer.from("not json"));
    const e = grpcErrorToStatusError(
      asServiceError({ code: grpc.status.NOT_FOUND, details: "gone", metadata: md }),
      where,
    );
    expect([e.code, e.reason, e.message]).toEqual([
      404,
      "NotFound",
      "127.0.0.1:6444 (/tokenplane.v1.ObjectService/Get) answered NOT_FOUND: gone",
    ]);
  });

  it("captureWarnings collects the warnings of trailers", () => {
    const w = captureWarnings();
    w.onTrailers(warningMetadata(["a"]));
    w.onTrailers(warningMetadata(["b", "c"]));
    expect(w.warnings).toEqual(["a", "b", "c"]);
  });
});
