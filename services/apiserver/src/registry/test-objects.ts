/**
 * Helpers for the registry's tests: objects written as Kubernetes JSON, and the exact 422 text
 * Kubernetes builds from field errors. Not used by production code.
 */
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { type FieldError, fromK8sJson, type JsonObject, newInvalid } from "@tokenplane/apimachinery";

/** Decodes Kubernetes JSON into a message; throws on a type error (a broken test fixture). */
export function objectFrom<D extends DescMessage>(schema: D, json: JsonObject): MessageShape<D> {
  const r = fromK8sJson(schema, json);
  if ("error" in r) throw new TypeError(r.error);
  return r.value;
}

/** The message of the 422 Kubernetes returns for these errors, or "" when there are none. */
export function invalidText(kind: string, name: string, errs: readonly FieldError[], group = ""): string {
  return errs.length === 0 ? "" : newInvalid({ group, kind }, name, errs).message;
}
