import { describe, expect, it } from "vitest";
import {
  aggregateFieldErrors,
  FieldPath,
  fieldError,
  fieldErrorBody,
  fieldErrorString,
} from "./field-errors.js";

describe("field errors render like apimachinery (reference §8.1)", () => {
  it("invalid with a string value quotes it", () => {
    const e = fieldError.invalid(FieldPath.root("metadata").child("name"), "Bad", "must match");
    expect(fieldErrorString(e)).toBe('metadata.name: Invalid value: "Bad": must match');
  });
  it("invalid with a number prints it plain", () => {
    const e = fieldError.invalid(
      "spec.expirationSeconds",
      10,
      "may not specify a duration less than 10 minutes",
    );
    expect(fieldErrorString(e)).toBe(
      "spec.expirationSeconds: Invalid value: 10: may not specify a duration less than 10 minutes",
    );
  });
  it("required with and without detail", () => {
    expect(fieldErrorString(fieldError.required("metadata.namespace"))).toBe(
      "metadata.namespace: Required value",
    );
    expect(fieldErrorString(fieldError.required("metadata.name", "name or generateName is required"))).toBe(
      "metadata.name: Required value: name or generateName is required",
    );
  });
  it("map keys render in brackets", () => {
    const p = FieldPath.root("metadata").child("annotations").key("kubernetes.io/service-account.name");
    expect(fieldErrorString(fieldError.required(p))).toBe(
      "metadata.annotations[kubernetes.io/service-account.name]: Required value",
    );
  });
  it("forbidden hides the value", () => {
    expect(fieldErrorBody(fieldError.forbidden("spec", "pod updates may not change fields"))).toBe(
      "Forbidden: pod updates may not change fields",
    );
  });
  it("not supported lists the values", () => {
    expect(fieldErrorString(fieldError.notSupported("type", "x", ["a", "b"]))).toBe(
      'type: Unsupported value: "x": supported values: "a", "b"',
    );
  });
  it("aggregates several errors in brackets, without duplicates", () => {
    const a = fieldError.invalid("metadata.name", "x", "one");
    const b = fieldError.invalid("metadata.name", "x", "two");
    expect(aggregateFieldErrors([a])).toBe('metadata.name: Invalid value: "x": one');
    expect(aggregateFieldErrors([a, b, a])).toBe(
      '[metadata.name: Invalid value: "x": one, metadata.name: Invalid value: "x": two]',
    );
  });
  it("indexes render in brackets", () => {
    const p = FieldPath.root("spec").child("volumes").index(2).child("projected");
    expect(String(p)).toBe("spec.volumes[2].projected");
  });
});
