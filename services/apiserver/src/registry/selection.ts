/**
 * Label and field selection of list and watch. Field labels are checked first, as Kubernetes'
 * field label conversion does: only `metadata.name`, `metadata.namespace` (namespaced kinds) and
 * the kind's selectable fields are supported.
 */
import {
  type FieldSelector,
  type LabelSelector,
  matchesFields,
  matchesLabels,
  newBadRequest,
  type ResourceInfo,
  type StoredObject,
  selectableFieldValues,
} from "@tokenplane/apimachinery";

/** A compiled selection; `matches` is undefined when everything is selected. */
export interface Selection {
  matches?: (obj: StoredObject) => boolean;
}

/** Checks the field labels (400 `field label not supported: <label>`) and compiles the selectors. */
export function compileSelection(
  info: ResourceInfo,
  labelSelector: LabelSelector | undefined,
  fieldSelector: FieldSelector | undefined,
): Selection {
  const allowed = new Set([
    "metadata.name",
    ...(info.namespaced ? ["metadata.namespace"] : []),
    ...info.selectableFields,
  ]);
  for (const r of fieldSelector?.requirements ?? []) {
    if (!allowed.has(r.field)) throw newBadRequest(`field label not supported: ${r.field}`);
  }
  const labels = labelSelector?.requirements.length ? labelSelector : undefined;
  const fields = fieldSelector?.requirements.length ? fieldSelector : undefined;
  if (!labels && !fields) return {};
  return {
    matches: (obj) =>
      (!labels || matchesLabels(labels, obj.metadata?.labels ?? {})) &&
      (!fields || matchesFields(fields, selectableFieldValues(info, obj))),
  };
}
