/**
 * What Kubernetes JSON knows about a message type beyond its protobuf descriptor: the well-known
 * types with a JSON form of their own (`metav1.Time`, `Quantity`, `IntOrString`, `RawExtension`,
 * `ExtraValue`),
 * the embedded Go structs that are inlined, and the Go fields written even when empty. Shared by
 * the encoder (`to-k8s-json.ts`) and the decoder (`from-k8s-json.ts`); not exported from the package.
 */
import type { DescField } from "@bufbuild/protobuf";

export const TIME = "k8s.io.apimachinery.pkg.apis.meta.v1.Time";
export const QUANTITY = "k8s.io.apimachinery.pkg.api.resource.Quantity";
/** `intstr.IntOrString`: a bare number (type 0, intVal) or a bare string (type 1, strVal). */
export const INT_OR_STRING = "k8s.io.apimachinery.pkg.util.intstr.IntOrString";
export const RAW_EXTENSION = "k8s.io.apimachinery.pkg.runtime.RawExtension";
export const EXTRA_VALUES = new Set([
  "k8s.io.api.authentication.v1.ExtraValue",
  "k8s.io.api.authorization.v1.ExtraValue",
]);

/** Embedded Go structs marked `json:",inline"`: their fields appear in the parent object. */
export function isInline(field: DescField): boolean {
  if (field.fieldKind !== "message") return false;
  return (
    field.name === "localObjectReference" ||
    (field.parent.typeName === "k8s.io.api.core.v1.Volume" && field.name === "volumeSource") ||
    (field.parent.typeName === "k8s.io.api.core.v1.EphemeralContainer" &&
      field.name === "ephemeralContainerCommon") ||
    (field.parent.typeName === "k8s.io.api.core.v1.Probe" && field.name === "handler")
  );
}

/**
 * Go value-struct fields that `encoding/json` writes even when empty (omitempty does not apply to
 * structs): an object's `metadata`, `spec` and `status`, and a few nested ones clients expect.
 */
export function alwaysEmit(field: DescField, topLevel: boolean): boolean {
  if (field.fieldKind === "list") return topLevel && field.name === "items";
  if (field.fieldKind !== "message") return false;
  if (topLevel && (field.name === "metadata" || field.name === "spec" || field.name === "status"))
    return true;
  const p = field.parent.typeName;
  return (
    (p === "k8s.io.api.authentication.v1.TokenReviewStatus" && field.name === "user") ||
    (p === "k8s.io.api.authentication.v1.SelfSubjectReviewStatus" && field.name === "userInfo")
  );
}

/** Go `encoding/json` fields without omitempty that clients read even when false/zero. */
export function alwaysEmitScalar(field: DescField): boolean {
  const p = field.parent.typeName;
  return (
    (p === "k8s.io.api.authorization.v1.SubjectAccessReviewStatus" && field.name === "allowed") ||
    (p === "k8s.io.api.core.v1.GRPCAction" && field.name === "port") ||
    (p === "k8s.io.api.core.v1.SleepAction" && field.name === "seconds") ||
    (p === "k8s.io.api.core.v1.HTTPHeader" && (field.name === "name" || field.name === "value")) ||
    (p === "k8s.io.api.core.v1.ContainerStatus" &&
      (field.name === "ready" ||
        field.name === "restartCount" ||
        field.name === "name" ||
        field.name === "image"))
  );
}
