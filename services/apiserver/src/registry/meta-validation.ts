/**
 * The metadata rules of `pkg/api/validation` (Kubernetes' core wrapper around apimachinery's
 * ValidateObjectMeta/ValidateObjectMetaUpdate): apimachinery's checks plus the finalizer-name
 * rule, the "resourceVersion must be specified" rule of ValidateObjectMetaAccessorUpdate, and the
 * immutability of deletion fields in both directions (reference §8.3).
 */
import {
  type FieldError,
  FieldErrorType,
  FieldPath,
  fieldError,
  isQualifiedName,
  msFromTime,
  type NameValidator,
  omitValue,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from "@tokenplane/apimachinery";
import type { metav1 } from "@tokenplane/proto";

const metaPath = FieldPath.root("metadata");

/** Finalizers every kind may carry without a domain prefix (`helper.IsStandardFinalizerName`). */
const standardFinalizers = new Set(["kubernetes", "orphan", "foregroundDeletion"]);

/** `validateKubeFinalizerName`: an unqualified finalizer must be one of the standard ones. */
function kubeFinalizerNameErrors(value: string, path: FieldPath): FieldError[] {
  if (value.includes("/") || standardFinalizers.has(value)) return [];
  return [
    fieldError.invalid(path, value, "name is neither a standard finalizer name nor is it fully qualified"),
  ];
}

/**
 * `validateFinalizerName` of pkg/apis/core/validation: a qualified name, and a standard one when
 * it has no domain prefix. Used for `metadata.finalizers` and a namespace's `spec.finalizers`.
 */
export function validateFinalizerName(value: string, path: FieldPath): FieldError[] {
  return [
    ...isQualifiedName(value).map((msg) => fieldError.invalid(path, value, msg)),
    ...kubeFinalizerNameErrors(value, path),
  ];
}

function validateFinalizerNames(finalizers: readonly string[]): FieldError[] {
  return finalizers.flatMap((f, i) => kubeFinalizerNameErrors(f, metaPath.child("finalizers").index(i)));
}

/**
 * An Invalid error whose value Kubernetes prints unquoted (a `%#v` struct or a `fmt.Stringer`):
 * the rendered value travels in the detail, so the text reads `Invalid value: <rendered>: <detail>`.
 */
export function invalidRendered(path: FieldPath | string, rendered: string, detail: string): FieldError {
  return {
    type: FieldErrorType.Invalid,
    field: String(path),
    badValue: omitValue,
    detail: `${rendered}: ${detail}`,
  };
}

/** Go's `time.Time.String()` of a UTC instant (`2006-01-02 15:04:05 +0000 UTC`), as field errors print times. */
export function goTimeString(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} +0000 UTC`;
}

/** Metadata of a new object: name rule, namespace presence, labels, annotations, finalizers. */
export function validateMetaCreate(
  meta: metav1.ObjectMeta | undefined,
  namespaced: boolean,
  nameFn: NameValidator,
): FieldError[] {
  return [...validateObjectMeta(meta, namespaced, nameFn), ...validateFinalizerNames(meta?.finalizers ?? [])];
}

/**
 * Metadata of an update, after the store's BeforeUpdate repair: immutable identity, no new
 * finalizers once deleting, a resourceVersion present, labels/annotations valid.
 */
export function validateMetaUpdate(next: metav1.ObjectMeta, old: metav1.ObjectMeta): FieldError[] {
  const errs = validateObjectMetaUpdate(next, old);
  // apimachinery's helper covers removing/changing a deletion timestamp; setting one through an
  // update is just as immutable (ValidateImmutableField compares both ways).
  if (!old.deletionTimestamp && next.deletionTimestamp) {
    const ms = msFromTime(next.deletionTimestamp) ?? 0;
    errs.push(invalidRendered(metaPath.child("deletionTimestamp"), goTimeString(ms), "field is immutable"));
  }
  if (old.deletionGracePeriodSeconds === undefined && next.deletionGracePeriodSeconds !== undefined) {
    errs.push(
      fieldError.invalid(
        metaPath.child("deletionGracePeriodSeconds"),
        Number(next.deletionGracePeriodSeconds),
        "field is immutable",
      ),
    );
  }
  if (!next.resourceVersion) {
    errs.push(
      fieldError.invalid(
        metaPath.child("resourceVersion"),
        next.resourceVersion,
        "must be specified for an update",
      ),
    );
  }
  errs.push(...validateFinalizerNames(next.finalizers));
  return errs;
}
