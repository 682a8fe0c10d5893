/**
 * The four patch formats of the Kubernetes API, as pure functions on Kubernetes JSON: the caller
 * converts the stored object to JSON (`toK8sJson`), patches it, and decodes the result
 * (`fromK8sJson`). Every function copies its inputs and throws `StatusError` with Kubernetes'
 * code and text.
 *
 * | Content-Type                             | function                   |
 * |------------------------------------------|----------------------------|
 * | application/json-patch+json              | `applyJsonPatch`           |
 * | application/merge-patch+json             | `applyMergePatch`          |
 * | application/strategic-merge-patch+json   | `applyStrategicMergePatch` |
 * | application/apply-patch+yaml             | `parseApplyPatch` + `applyServerSide` |
 *
 * The list markers (merge keys, strategies, list types) live in one table, `patchMetaTable`,
 * which the OpenAPI documents publish too.
 */
export { type ApplyResult, applyServerSide, parseApplyPatch } from "./apply-patch.js";
export {
  isInlineField,
  type JsonField,
  jsonFieldsOf,
  type SpecialJsonForm,
  specialJsonForm,
} from "./json-fields.js";
export { applyJsonPatch, deepEqual, type JsonPatchOperation, maxJsonPatchOperations } from "./json-patch.js";
export { applyMergePatch } from "./merge-patch.js";
export { type FieldPatchMeta, fieldPatchMeta, patchMetaTable, patchStrategies } from "./patch-meta.js";
export { applyStrategicMergePatch } from "./strategic-merge-patch.js";
