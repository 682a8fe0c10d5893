import { describe, expect, it } from "vitest";
import { fieldError } from "./field-errors.js";
import { newForbidden, newInvalid } from "./status-error.js";
import { statusFromProto, statusToProto } from "./status-proto.js";

describe("Status ↔ metav1.Status", () => {
  it("round-trips a Forbidden and an Invalid with causes", () => {
    for (const err of [
      newForbidden(
        { group: "", resource: "pods" },
        "p",
        'error looking up service account ns/sa: serviceaccount "sa" not found',
      ),
      newInvalid({ group: "", kind: "Pod" }, "p", [fieldError.required("spec.containers")]),
    ]) {
      expect(statusFromProto(statusToProto(err.status))).toEqual(err.status);
    }
  });
});
