/**
 * `ValidateObjectMeta` and `ValidateObjectMetaUpdate` (apimachinery pkg/api/validation/objectmeta.go,
 * reference §8.1 and §8.3): name/generateName/namespace rules, labels, annotations, immutable fields.
 */
import type { metav1 } from "@tokenplane/proto";
import { type FieldError, FieldPath, fieldError } from "./field-errors.js";
import { msFromTime } from "./meta-time.js";
import {
  isDNS1123Label,
  isQualifiedName,
  isValidLabelValue,
  maskTrailingDash,
  TotalAnnotationSizeLimitB,
} from "./names.js";

/** A name rule: returns Kubernetes' messages for a bad name. `prefix` = validating generateName. */
export type NameValidator = (name: string, prefix: boolean) => string[];

const metaPath = FieldPath.root("metadata");

/** Validates metadata of an object being created. */
export function validateObjectMeta(
  meta: metav1.ObjectMeta | undefined,
  namespaced: boolean,
  nameFn: NameValidator,
): FieldError[] {
  const errs: FieldError[] = [];
  const m =
    meta ??
    ({
      name: "",
      generateName: "",
      namespace: "",
      labels: {},
      annotations: {},
    } as unknown as metav1.ObjectMeta);
  if (m.generateName) {
    for (const msg of nameFn(maskTrailingDash(m.generateName), true)) {
      errs.push(fieldError.invalid(metaPath.child("generateName"), m.generateName, msg));
    }
  }
  if (!m.name) {
    if (!m.generateName)
      errs.push(fieldError.required(metaPath.child("name"), "name or generateName is required"));
  } else {
    for (const msg of nameFn(m.name, false))
      errs.push(fieldError.invalid(metaPath.child("name"), m.name, msg));
  }
  if (namespaced) {
    if (!m.namespace) {
      errs.push(fieldError.required(metaPath.child("namespace")));
    } else {
      for (const msg of isDNS1123Label(m.namespace)) {
        errs.push(fieldError.invalid(metaPath.child("namespace"), m.namespace, msg));
      }
    }
  } else if (m.namespace) {
    errs.push(fieldError.forbidden(metaPath.child("namespace"), "not allowed on this type"));
  }
  if (m.generation < 0n) {
    errs.push(
      fieldError.invalid(
        metaPath.child("generation"),
        Number(m.generation),
        "must be greater than or equal to 0",
      ),
    );
  }
  errs.push(...validateLabels(m.labels, metaPath.child("labels")));
  errs.push(...validateAnnotations(m.annotations, metaPath.child("annotations")));
  for (const [i, ref] of m.ownerReferences.entries()) {
    const p = metaPath.child("ownerReferences").index(i);
    if (!ref.apiVersion)
      errs.push(fieldError.invalid(p.child("apiVersion"), ref.apiVersion, "version must not be empty"));
    if (!ref.kind) errs.push(fieldError.invalid(p.child("kind"), ref.kind, "kind must not be empty"));
    if (!ref.name) errs.push(fieldError.invalid(p.child("name"), ref.name, "name must not be empty"));
    if (!ref.uid) errs.push(fieldError.invalid(p.child("uid"), ref.uid, "uid must not be empty"));
  }
  for (const [i, f] of m.finalizers.entries()) {
    for (const msg of isQualifiedName(f))
      errs.push(fieldError.invalid(metaPath.child("finalizers").index(i), f, msg));
  }
  return errs;
}

/** `ValidateLabels`: qualified-name keys and label values. */
export function validateLabels(labels: Readonly<Record<string, string>>, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels)) {
    for (const msg of isQualifiedName(k)) errs.push(fieldError.invalid(path, k, msg));
    for (const msg of isValidLabelValue(v)) errs.push(fieldError.invalid(path.key(k), v, msg));
  }
  return errs;
}

/** `ValidateAnnotations`: qualified-name keys (lower-cased) and the 256 KiB total. */
export function validateAnnotations(
  annotations: Readonly<Record<string, string>>,
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(fieldError.invalid(path, k, msg));
    total += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (total > TotalAnnotationSizeLimitB) {
    errs.push({
      type: "FieldValueTooLong",
      field: String(path),
      badValue: "",
      detail: `must have at most ${TotalAnnotationSizeLimitB} bytes`,
    });
  }
  return errs;
}

/**
 * Validates metadata of an update after the server has repaired it (§8.3 BeforeUpdate): name,
 * namespace, uid, creationTimestamp, deletionTimestamp and deletionGracePeriodSeconds immutable,
 * generation not decremented, no new finalizers once deletion started.
 */
export function validateObjectMetaUpdate(next: metav1.ObjectMeta, old: metav1.ObjectMeta): FieldError[] {
  const errs: FieldError[] = [];
  const immutable = (field: string, a: unknown, b: unknown) => {
    if (a !== b) errs.push(fieldError.invalid(metaPath.child(field), a, "field is immutable"));
  };
  immutable("name", next.name, old.name);
  immutable("namespace", next.namespace, old.namespace);
  immutable("uid", next.uid, old.uid);
  if (msFromTime(next.creationTimestamp) !== msFromTime(old.creationTimestamp)) {
    errs.push(
      fieldError.invalid(
        metaPath.child("creationTimestamp"),
        next.creationTimestamp ?? null,
        "field is immutable",
      ),
    );
  }
  if (old.deletionTimestamp && msFromTime(next.deletionTimestamp) !== msFromTime(old.deletionTimestamp)) {
    errs.push(
      fieldError.invalid(
        metaPath.child("deletionTimestamp"),
        next.deletionTimestamp ?? null,
        "field is immutable",
      ),
    );
  }
  if (
    old.deletionGracePeriodSeconds !== undefined &&
    next.deletionGracePeriodSeconds !== old.deletionGracePeriodSeconds
  ) {
    errs.push(
      fieldError.invalid(
        metaPath.child("deletionGracePeriodSeconds"),
        next.deletionGracePeriodSeconds === undefined ? null : Number(next.deletionGracePeriodSeconds),
        "field is immutable",
      ),
    );
  }
  if (next.generation < old.generation) {
    errs.push(
      fieldError.invalid(metaPath.child("generation"), Number(next.generation), "must not be decremented"),
    );
  }
  if (old.deletionTimestamp) {
    const added = next.finalizers.filter((f) => !old.finalizers.includes(f));
    if (added.length) {
      errs.push(
        fieldError.forbidden(
          metaPath.child("finalizers"),
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(", ")}}`,
        ),
      );
    }
  }
  errs.push(...validateLabels(next.labels, metaPath.child("labels")));
  errs.push(...validateAnnotations(next.annotations, metaPath.child("annotations")));
  return errs;
}
