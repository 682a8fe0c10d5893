import { fieldError, newForbidden, newInvalid, newNotFound } from "@tokenplane/apimachinery";
import { describe, expect, it } from "vitest";
import {
  newNotAcceptableError,
  newRouteMethodNotAllowed,
  newRouteNotFound,
  newUnsupportedMediaTypeError,
  statusToJson,
  successStatus,
} from "./http-status.js";
import { encodeJson } from "./responses.js";

describe("statusToJson", () => {
  it("writes metav1.Status fields in Go's order with omitempty", () => {
    const forbidden = newForbidden(
      { group: "", resource: "serviceaccounts" },
      "",
      'User "x" cannot list resource',
    );
    expect(encodeJson(statusToJson(forbidden.status))).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"serviceaccounts is forbidden: User \\"x\\" cannot list resource","reason":"Forbidden","details":{"kind":"serviceaccounts"},"code":403}\n',
    );
    const invalid = newInvalid({ group: "", kind: "ServiceAccount" }, "a", [
      fieldError.required("metadata.name"),
    ]);
    expect(Object.keys(statusToJson(invalid.status))).toEqual([
      "kind",
      "apiVersion",
      "metadata",
      "status",
      "message",
      "reason",
      "details",
      "code",
    ]);
    expect(statusToJson(invalid.status).details).toEqual({
      name: "a",
      kind: "ServiceAccount",
      causes: [{ reason: "FieldValueRequired", message: "Required value", field: "metadata.name" }],
    });
    expect(
      statusToJson(newNotFound({ group: "rbac.authorization.k8s.io", resource: "roles" }, "r").status)
        .details,
    ).toEqual({
      name: "r",
      group: "rbac.authorization.k8s.io",
      kind: "roles",
    });
  });

  it("writes a Success Status without a code", () => {
    expect(encodeJson(statusToJson(successStatus({ name: "s", group: "", kind: "secrets", uid: "u" })))).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"s","kind":"secrets","uid":"u"}}\n',
    );
  });
});

describe("HTTP-layer Status errors", () => {
  it.each([
    [
      newRouteNotFound(),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}\n',
    ],
    [
      newRouteMethodNotAllowed(),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server does not allow this method on the requested resource","reason":"MethodNotAllowed","details":{},"code":405}\n',
    ],
    [
      newUnsupportedMediaTypeError(["application/json", "application/yaml"]),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml","reason":"UnsupportedMediaType","code":415}\n',
    ],
    [
      newNotAcceptableError(["application/json"]),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"only the following media types are accepted: application/json","reason":"NotAcceptable","code":406}\n',
    ],
  ])("%#", (err, body) => {
    expect(encodeJson(statusToJson(err.status))).toBe(body);
  });
});

describe("encodeJson", () => {
  it("escapes HTML characters as Go's encoder does", () => {
    expect(encodeJson({ a: "<b>&" })).toBe('{"a":"\\u003cb\\u003e\\u0026"}\n');
  });
});
