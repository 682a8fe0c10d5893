/** Fixtures of the strategic merge patch tests. Not exported from the package. */
import type { DescMessage } from "@bufbuild/protobuf";
import type { JsonObject, JsonValue } from "@tokenplane/apimachinery";
import { StatusError } from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import { applyStrategicMergePatch } from "./strategic-merge-patch.js";

/** A Pod in Kubernetes JSON with the given spec. */
export const pod = (spec: JsonObject, metadata: JsonObject = { name: "p" }): JsonObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata,
  spec,
});

/** The `StatusError` a strategic merge patch fails with (fails the test if it does not). */
export function smpError(
  doc: JsonObject,
  patch: JsonValue,
  schema: DescMessage = corev1.PodSchema,
): StatusError {
  try {
    applyStrategicMergePatch(doc, patch, schema);
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error("expected a StatusError");
}
