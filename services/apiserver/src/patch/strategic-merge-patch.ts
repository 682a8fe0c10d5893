/**
 * `application/strategic-merge-patch+json`, applied the way the Kubernetes apiserver applies it
 * (apimachinery `pkg/util/strategicpatch`, `StrategicMergeMapPatch` with MergeParallelList and
 * IgnoreUnmatchedNulls). This is what `kubectl patch` (default type) and `kubectl apply`
 * (client-side, on re-apply) send.
 *
 * - Objects merge key by key; `null` deletes a key.
 * - Lists declared `patchStrategy: merge` (the markers table, `patch-meta.ts`) merge: lists of
 *   objects by their merge key (containers by `name`, volumeMounts by `mountPath`, ownerReferences
 *   by `uid`, ...), lists of scalars as a union (finalizers). Any other list is replaced whole.
 * - Directives: `$patch: replace | delete` in an object, `{"$patch": "delete", <key>: v}` and
 *   `{"$patch": "replace"}` elements in a merged list, `$retainKeys` (volumes), the parallel
 *   lists `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>` (ordering honoured:
 *   `$setElementOrder` first, then the patch's order, then the live order).
 *
 * Errors carry Kubernetes' texts and codes: malformed directives are 400 BadRequest, lists of lists
 * 422, anything else (a missing merge key, a field the type does not have) 500 with the bare
 * message, as the apiserver's `ErrorToAPIStatus` reports errors that are not a Status.
 *
 * This file is the recursive merge; the directives are in `patch-directives.ts`, the lookups on
 * list elements (by merge key) in `list-elements.ts`, the ordering of merged lists in
 * `element-order.ts` and the errors in `merge-error.ts`.
 */
import type { DescMessage } from "@bufbuild/protobuf";
import { type JsonObject, type JsonValue, newBadRequest } from "@tokenplane/apimachinery";
import { normalizeElementOrder, validatePatchWithSetOrderList } from "./element-order.js";
import { goTypeOf } from "./go-format.js";
import { isObject } from "./is-object.js";
import {
  deduplicateScalars,
  deleteFromSlice,
  findIndexByKey,
  partitionMapsByPresentInList,
  partitionPrimitivesByPresentInList,
  sliceElementKind,
} from "./list-elements.js";
import { errBadArgType, errNoMergeKey, MergeError, SLICE, toStatusError } from "./merge-error.js";
import {
  applyRetainKeysDirective,
  DELETE_FROM_PRIMITIVE_LIST,
  DIRECTIVE,
  discardNullValuesFromPatch,
  extractKey,
  handleDirectiveInMergeMap,
  MERGE,
  mergeSliceWithSpecialElements,
  REPLACE,
  removeDirectives,
  SET_ELEMENT_ORDER,
} from "./patch-directives.js";
import { type FieldPatchMeta, patchStrategies } from "./patch-meta.js";
import {
  itemsOf,
  lookupKey,
  messageNode,
  nodeName,
  type SchemaNode,
  UnknownFieldError,
} from "./patch-schema.js";

/**
 * Applies a strategic merge patch to `doc` (an object in Kubernetes JSON) using the patch markers
 * of `schema`'s message type. Neither argument is modified. Throws `StatusError`.
 */
export function applyStrategicMergePatch(doc: JsonObject, patch: JsonValue, schema: DescMessage): JsonObject {
  if (!isObject(patch)) {
    // The handler decodes the body into a map first (kjson.UnmarshalCaseSensitivePreserveInts).
    throw newBadRequest(
      `json: cannot unmarshal ${jsonTypeName(patch)} into Go value of type map[string]interface {}`,
    );
  }
  return strategicMerge(structuredClone(doc), structuredClone(patch), messageNode(schema));
}

/**
 * The merge on already-copied values (both are modified); for server-side apply, which merges an
 * applied configuration the same way. Throws `StatusError`.
 */
export function strategicMerge(original: JsonObject, patch: JsonObject, node: SchemaNode): JsonObject {
  try {
    return mergeMap(original, patch, node);
  } catch (err) {
    throw toStatusError(err);
  }
}

function jsonTypeName(v: JsonValue): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v === "object" ? "object" : typeof v;
}

function mergeMap(original: JsonObject | undefined, patch: JsonObject, node: SchemaNode): JsonObject {
  if (DIRECTIVE in patch) return handleDirectiveInMergeMap(patch[DIRECTIVE], patch);
  const out = original ?? {};
  applyRetainKeysDirective(out, patch);
  mergePatchIntoOriginal(out, patch, node);

  for (const rawKey of Object.keys(patch)) {
    const patchV = patch[rawKey] as JsonValue;
    let k = rawKey;
    let isDeleteList = false;
    if (rawKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      k = extractKey(rawKey, DELETE_FROM_PRIMITIVE_LIST);
      isDeleteList = true;
    }
    if (patchV === null) {
      delete out[k];
      continue;
    }
    if (!(k in out)) {
      if (!isDeleteList) takePatchValue(out, k, patchV);
      continue;
    }
    const originalV = out[k] as JsonValue;
    if (goTypeOf(originalV) !== goTypeOf(patchV)) {
      if (!isDeleteList) takePatchValue(out, k, patchV);
      continue;
    }
    if (isObject(originalV) && isObject(patchV)) {
      const { node: sub, meta } = lookup(node, k);
      const strategy = otherStrategy(meta);
      out[k] = strategy === REPLACE ? patchV : mergeMap(originalV, patchV, sub);
    } else if (Array.isArray(originalV) && Array.isArray(patchV)) {
      const { node: sub, meta } = lookup(node, k);
      out[k] = mergeSliceHandler(
        originalV,
        patchV,
        sub,
        otherStrategy(meta),
        meta?.patchMergeKey ?? "",
        isDeleteList,
      );
    } else {
      takeDirectiveFree(out, k, patchV);
    }
  }
  return out;
}

function lookup(node: SchemaNode, key: string) {
  try {
    return lookupKey(node, key);
  } catch (err) {
    if (err instanceof UnknownFieldError) throw new MergeError(err.message);
    throw err;
  }
}

/** The strategy other than retainKeys (`extractRetainKeysPatchStrategy`). */
function otherStrategy(meta: FieldPatchMeta | undefined): string {
  return patchStrategies(meta).merge ? MERGE : "";
}

/** A value absent from (or of another type than) the original: nulls dropped, directives removed. */
function takePatchValue(out: JsonObject, k: string, patchV: JsonValue): void {
  discardNullValuesFromPatch(patchV);
  takeDirectiveFree(out, k, patchV);
}

function takeDirectiveFree(out: JsonObject, k: string, patchV: JsonValue): void {
  const [v, keep] = removeDirectives(patchV);
  if (keep) out[k] = v;
  else delete out[k];
}

/** `$setElementOrder/<field>`: merges that list now and orders it; removes both from the patch. */
function mergePatchIntoOriginal(original: JsonObject, patch: JsonObject, node: SchemaNode): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[key] as JsonValue;
    delete patch[key];
    if (!Array.isArray(order)) throw errBadArgType(SLICE, order);
    const originalKey = extractKey(key, SET_ELEMENT_ORDER);
    const foundOriginal = originalKey in original;
    const foundPatch = originalKey in patch;
    const originalList = original[originalKey];
    const patchList = patch[originalKey];
    if (foundOriginal && !Array.isArray(originalList)) throw errBadArgType(SLICE, originalList);
    if (foundPatch && !Array.isArray(patchList)) throw errBadArgType(SLICE, patchList);
    const originalValue = foundOriginal ? (originalList as JsonValue[]) : [];
    const patchValue = foundPatch ? (patchList as JsonValue[]) : [];
    const { node: sub, meta } = lookup(node, originalKey);
    const strategy = otherStrategy(meta);
    const mergeKey = meta?.patchMergeKey ?? "";
    validatePatchWithSetOrderList(patchValue, order, mergeKey);

    let merged: JsonValue[];
    if (foundOriginal && !foundPatch) merged = originalValue;
    else if (!foundOriginal && foundPatch) merged = removeDirectives(patchValue)[0] as JsonValue[];
    else if (foundOriginal && foundPatch)
      merged = mergeSliceHandler(originalValue, patchValue, sub, strategy, mergeKey, false);
    else continue;

    const [patchItems, serverOnly] = mergeKey
      ? partitionMapsByPresentInList(merged, order, mergeKey)
      : partitionPrimitivesByPresentInList(merged, order);
    const kind = sliceElementKind([originalValue, patchValue]);
    original[originalKey] = normalizeElementOrder(
      patchItems,
      serverOnly,
      order,
      originalValue,
      mergeKey,
      kind,
    );
    delete patch[originalKey];
  }
}

function mergeSliceHandler(
  original: JsonValue[],
  patch: JsonValue[],
  node: SchemaNode,
  strategy: string,
  mergeKey: string,
  isDeleteList: boolean,
): JsonValue[] {
  // Delete lists are handled the same way whatever the field's strategy.
  if (strategy === MERGE || isDeleteList) return mergeSlice(original, patch, node, mergeKey, isDeleteList);
  return patch;
}

function mergeSlice(
  originalIn: JsonValue[],
  patchIn: JsonValue[],
  node: SchemaNode,
  mergeKey: string,
  isDeleteList: boolean,
): JsonValue[] {
  let original = originalIn;
  let patch = patchIn;
  if (original.length === 0 && patch.length === 0) return original;
  const kind = sliceElementKind([original, patch]);
  let merged: JsonValue[];
  if (kind !== "map") {
    if (isDeleteList) return deleteFromSlice(original, patch);
    merged = deduplicateScalars([...original, ...patch]);
  } else {
    if (!mergeKey)
      throw new MergeError(`cannot merge lists without merge key for ${nodeName(itemsOf(node))}`);
    [original, patch] = mergeSliceWithSpecialElements(original, patch, mergeKey);
    merged = mergeSliceWithoutSpecialElements(original, patch, mergeKey, itemsOf(node));
  }
  const [patchItems, serverOnly] = mergeKey
    ? partitionMapsByPresentInList(merged, patch, mergeKey)
    : partitionPrimitivesByPresentInList(merged, patch);
  return normalizeElementOrder(patchItems, serverOnly, patch, original, mergeKey, kind);
}

function mergeSliceWithoutSpecialElements(
  original: JsonValue[],
  patch: JsonValue[],
  mergeKey: string,
  itemNode: SchemaNode,
): JsonValue[] {
  const out = [...original];
  for (const v of patch) {
    const m = v as JsonObject;
    if (!(mergeKey in m)) throw errNoMergeKey(m, mergeKey);
    const i = findIndexByKey(out, mergeKey, m[mergeKey] as JsonValue);
    if (i >= 0) out[i] = mergeMap(out[i] as JsonObject, m, itemNode);
    else out.push(v);
  }
  return out;
}
