/**
 * The errors of the strategic merge patch and how the apiserver reports them: malformed directives
 * are 400 BadRequest, lists of lists 422, anything else 500 with the bare message (see
 * `toStatusError`). The texts are apimachinery's (`pkg/util/mergepatch/errors.go`,
 * `pkg/util/strategicpatch`), with Go's renderings of the values involved.
 */
import { type JsonObject, type JsonValue, newBadRequest, StatusError } from "@tokenplane/apimachinery";
import { goTypeOf, goValue } from "./go-format.js";

/** How an error of the merge is reported (see `toStatusError`). */
export type ErrorClass = "bad-request" | "unprocessable" | "plain";

/** A failure of the merge, carrying how the apiserver reports it (`toStatusError`). */
export class MergeError extends Error {
  constructor(
    message: string,
    readonly errorClass: ErrorClass = "plain",
  ) {
    super(message);
  }
}

// mergepatch's sentinel errors (apimachinery pkg/util/mergepatch/errors.go).
export const errBadPatchFormatForPrimitiveList = () =>
  new MergeError("invalid patch format of primitive list", "bad-request");
export const errBadPatchFormatForRetainKeys = () =>
  new MergeError("invalid patch format of retainKeys", "bad-request");
export const errBadPatchFormatForSetElementOrderList = () =>
  new MergeError("invalid patch format of setElementOrder list", "bad-request");
export const errNoListOfLists = () => new MergeError("lists of lists are not supported", "unprocessable");
export const errNoMergeKey = (m: JsonObject, k: string) =>
  new MergeError(`map: ${goValue(m)} does not contain declared merge key: ${k}`);
export const errBadArgType = (expected: string, actual: JsonValue | undefined) =>
  new MergeError(`expected a ${expected}, but received a ${goTypeOf(actual)}`);
export const errBadPatchType = (t: JsonValue | undefined, m: JsonObject) =>
  new MergeError(`unknown patch type: ${goValue(t)} in map: ${goValue(m)}`);

export const SLICE = "[]interface {}";
export const MAP = "map[string]interface {}";

/** Kubernetes' `interpretStrategicMergePatchError`, then `ErrorToAPIStatus` for the rest. */
export function toStatusError(err: unknown): StatusError {
  if (err instanceof StatusError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const errorClass = err instanceof MergeError ? err.errorClass : "plain";
  switch (errorClass) {
    case "bad-request":
      return newBadRequest(message);
    case "unprocessable":
      // errors.NewGenericServerResponse(422, ...): the detail does not reach the Status.
      return new StatusError(
        {
          reason: "Invalid",
          code: 422,
          message: "the server rejected our request due to an error in our request",
          details: {},
        },
        [`strategic merge patch: ${message}`],
      );
    default:
      return new StatusError({ code: 500, message });
  }
}
