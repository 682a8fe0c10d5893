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
 */
import type { DescMessage } from "@bufbuild/protobuf";
import { type JsonObject, type JsonValue, newBadRequest, StatusError } from "@tokenplane/apimachinery";
import { goTypeOf, goValue } from "./go-format.js";
import { goSliceStable } from "./go-sort.js";
import { type FieldPatchMeta, patchStrategies } from "./patch-meta.js";
import {
  itemsOf,
  lookupKey,
  messageNode,
  nodeName,
  type SchemaNode,
  UnknownFieldError,
} from "./patch-schema.js";

const DIRECTIVE = "$patch";
const DELETE = "delete";
const REPLACE = "replace";
const MERGE = "merge";
const RETAIN_KEYS = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList";
const SET_ELEMENT_ORDER = "$setElementOrder";

/** How an error of the merge is reported (see `toStatusError`). */
type ErrorClass = "bad-request" | "unprocessable" | "plain";

class MergeError extends Error {
  constructor(
    message: string,
    readonly errorClass: ErrorClass = "plain",
  ) {
    super(message);
  }
}

// mergepatch's sentinel errors (apimachinery pkg/util/mergepatch/errors.go).
const errBadPatchFormatForPrimitiveList = () =>
  new MergeError("invalid patch format of primitive list", "bad-request");
const errBadPatchFormatForRetainKeys = () =>
  new MergeError("invalid patch format of retainKeys", "bad-request");
const errBadPatchFormatForSetElementOrderList = () =>
  new MergeError("invalid patch format of setElementOrder list", "bad-request");
const errNoListOfLists = () => new MergeError("lists of lists are not supported", "unprocessable");
const errNoMergeKey = (m: JsonObject, k: string) =>
  new MergeError(`map: ${goValue(m)} does not contain declared merge key: ${k}`);
const errBadArgType = (expected: string, actual: JsonValue | undefined) =>
  new MergeError(`expected a ${expected}, but received a ${goTypeOf(actual)}`);
const errBadPatchType = (t: JsonValue | undefined, m: JsonObject) =>
  new MergeError(`unknown patch type: ${goValue(t)} in map: ${goValue(m)}`);

const SLICE = "[]interface {}";
const MAP = "map[string]interface {}";

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

/** Kubernetes' `interpretStrategicMergePatchError`, then `ErrorToAPIStatus` for the rest. */
function toStatusError(err: unknown): StatusError {
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

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
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

function discardNullValuesFromPatch(v: JsonValue): void {
  if (Array.isArray(v)) {
    for (const x of v) discardNullValuesFromPatch(x);
  } else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (x === null) delete v[k];
      else discardNullValuesFromPatch(x);
    }
  }
}

/** Drops maps that carry a `$patch` directive; returns whether the value itself is kept. */
function removeDirectives(v: JsonValue): [JsonValue, boolean] {
  if (isObject(v)) {
    if (DIRECTIVE in v) return [null, false];
    for (const [k, x] of Object.entries(v)) {
      const [nv, keep] = removeDirectives(x);
      if (keep) v[k] = nv;
      else delete v[k];
    }
    return [v, true];
  }
  if (Array.isArray(v)) {
    const res: JsonValue[] = [];
    for (const x of v) {
      const [nv, keep] = removeDirectives(x);
      if (keep) res.push(nv);
    }
    return [res, true];
  }
  return [v, true];
}

function handleDirectiveInMergeMap(directive: JsonValue | undefined, patch: JsonObject): JsonObject {
  if (directive === REPLACE) {
    delete patch[DIRECTIVE];
    return patch;
  }
  if (directive === DELETE) return {};
  throw errBadPatchType(directive, patch);
}

function extractKey(s: string, prefix: string): string {
  const i = s.indexOf("/");
  if (i < 0 || s.slice(0, i) !== prefix) {
    if (prefix === DELETE_FROM_PRIMITIVE_LIST) throw errBadPatchFormatForPrimitiveList();
    throw errBadPatchFormatForSetElementOrderList();
  }
  return s.slice(i + 1);
}

/** `$retainKeys`: clears the original's keys that the list does not name. */
function applyRetainKeysDirective(original: JsonObject, patch: JsonObject): void {
  if (!(RETAIN_KEYS in patch)) return;
  const list = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(list)) throw errBadPatchFormatForRetainKeys();
  const keep = new Set<JsonValue>(list);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!keep.has(k)) throw errBadPatchFormatForRetainKeys();
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
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

/** The patch list's items must appear in the `$setElementOrder` list, in the same relative order. */
function validatePatchWithSetOrderList(patchList: JsonValue[], order: JsonValue[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  const nonDelete = mergeKey ? extractToDeleteItems(patchList)[0] : patchList;
  let p = 0;
  let s = 0;
  while (p < nonDelete.length && s < order.length) {
    const item = nonDelete[p] as JsonValue;
    if (isObject(item) && DIRECTIVE in item) {
      p++;
      continue;
    }
    if (mergeKeyValueEqual(item, order[s] as JsonValue, mergeKey)) p++;
    s++;
  }
  if (p < nonDelete.length && s >= order.length) {
    throw new MergeError(
      `the order in patch list:\n${goValue(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goValue(order)}`,
    );
  }
}

function mergeKeyValueEqual(left: JsonValue, right: JsonValue, mergeKey: string): boolean {
  if (!mergeKey) return left === right;
  if (!isObject(left)) throw errBadArgType(MAP, left);
  if (!isObject(right)) throw errBadArgType(MAP, right);
  if (!(mergeKey in left)) throw errNoMergeKey(left, mergeKey);
  if (!(mergeKey in right)) throw errNoMergeKey(right, mergeKey);
  return left[mergeKey] === right[mergeKey];
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

type ElementKind = "map" | "scalar";

/** `sliceElementType`: every element of every list has one JSON type, not a list. */
function sliceElementKind(lists: JsonValue[][]): ElementKind {
  let prev: string | undefined;
  for (const l of lists) {
    for (const v of l) {
      const t = goTypeOf(v);
      if (prev === undefined) {
        prev = t;
        if (Array.isArray(v)) throw errNoListOfLists();
      } else if (prev !== t) {
        throw new MergeError(
          `list element types are not identical: ${goValue(lists as unknown as JsonValue)}`,
        );
      }
    }
  }
  if (prev === undefined) throw new MergeError("no elements in any of the given slices");
  return prev === MAP ? "map" : "scalar";
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

/** Applies `$patch: delete` and `$patch: replace` elements; returns the new original and the rest of the patch. */
function mergeSliceWithSpecialElements(
  original: JsonValue[],
  patch: JsonValue[],
  mergeKey: string,
): [JsonValue[], JsonValue[]] {
  const rest: JsonValue[] = [];
  let replace = false;
  let out = original;
  for (const v of patch) {
    const m = v as JsonObject;
    if (!(DIRECTIVE in m)) {
      rest.push(v);
      continue;
    }
    switch (m[DIRECTIVE]) {
      case DELETE:
        if (!(mergeKey in m)) throw errNoMergeKey(m, mergeKey);
        out = deleteMatchingEntries(out, mergeKey, m[mergeKey] as JsonValue);
        break;
      case REPLACE:
        replace = true;
        break;
      case MERGE:
        throw new MergeError("merging lists cannot yet be specified in the patch");
      default:
        throw errBadPatchType(m[DIRECTIVE], m);
    }
  }
  return replace ? [rest, []] : [out, rest];
}

function deleteMatchingEntries(original: JsonValue[], mergeKey: string, value: JsonValue): JsonValue[] {
  let out = original;
  for (;;) {
    const i = findIndexByKey(out, mergeKey, value);
    if (i < 0) return out;
    out = [...out.slice(0, i), ...out.slice(i + 1)];
  }
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

/** `findMapInSliceBasedOnKeyValue`: the first element whose merge key equals `value`. */
function findIndexByKey(list: JsonValue[], key: string, value: JsonValue): number {
  for (let i = 0; i < list.length; i++) {
    const item = list[i] as JsonValue;
    if (!isObject(item)) throw new MergeError(`value for key ${i} is not a map`);
    if (key in item && item[key] === value) return i;
  }
  return -1;
}

function deleteFromSlice(current: JsonValue[], toDelete: JsonValue[]): JsonValue[] {
  const del = new Set(toDelete);
  return current.filter((v) => !del.has(v));
}

/** Go's in-place de-duplication: a duplicate is overwritten by the last element. */
function deduplicateScalars(input: JsonValue[]): JsonValue[] {
  const s = [...input];
  let length = s.length - 1;
  for (let i = 0; i < length; i++) {
    for (let j = i + 1; j <= length; j++) {
      if (s[i] === s[j]) {
        s[j] = s[length] as JsonValue;
        s.length = length;
        length--;
        j--;
      }
    }
  }
  return s;
}

function partitionPrimitivesByPresentInList(list: JsonValue[], by: JsonValue[]): [JsonValue[], JsonValue[]] {
  const inBy = new Set(by);
  return [list.filter((v) => inBy.has(v)), list.filter((v) => !inBy.has(v))];
}

function partitionMapsByPresentInList(
  list: JsonValue[],
  by: JsonValue[],
  mergeKey: string,
): [JsonValue[], JsonValue[]] {
  const inBy: JsonValue[] = [];
  const serverOnly: JsonValue[] = [];
  for (const v of list) {
    if (!isObject(v)) throw errBadArgType(MAP, v);
    if (!(mergeKey in v)) throw errNoMergeKey(v, mergeKey);
    if (findIndexByKey(by, mergeKey, v[mergeKey] as JsonValue) >= 0) inBy.push(v);
    else serverOnly.push(v);
  }
  return [inBy, serverOnly];
}

function extractToDeleteItems(list: JsonValue[]): [JsonValue[], JsonValue[]] {
  const keep: JsonValue[] = [];
  const del: JsonValue[] = [];
  for (const v of list) {
    if (!isObject(v)) throw errBadArgType(MAP, v);
    if (v[DIRECTIVE] === DELETE) del.push(v);
    else keep.push(v);
  }
  return [keep, del];
}

/** Position of `v` in `list`, by merge key for objects. */
function indexIn(list: JsonValue[], v: JsonValue, mergeKey: string, kind: ElementKind): number {
  const key = (x: JsonValue): JsonValue | undefined =>
    kind === "map" ? (isObject(x) ? x[mergeKey] : undefined) : x;
  const want = key(v);
  for (let i = 0; i < list.length; i++) if (key(list[i] as JsonValue) === want) return i;
  return -1;
}

/** Sorts the patch items by `patchOrder` and the server-only items by `serverOrder`, then interleaves them. */
function normalizeElementOrder(
  patch: JsonValue[],
  serverOnly: JsonValue[],
  patchOrder: JsonValue[],
  serverOrder: JsonValue[],
  mergeKey: string,
  kind: ElementKind,
): JsonValue[] {
  const p = normalizeSliceOrder(patch, patchOrder, mergeKey, kind);
  const s = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  return mergeSortedSlice(s, p, serverOrder, mergeKey, kind);
}

function normalizeSliceOrder(
  toSortIn: JsonValue[],
  order: JsonValue[],
  mergeKey: string,
  kind: ElementKind,
): JsonValue[] {
  let toSort = [...toSortIn];
  let toDelete: JsonValue[] = [];
  if (kind === "map") {
    for (const l of [toSort, order]) {
      for (const item of l) {
        if (!isObject(item)) throw errBadArgType(MAP, item);
        if (!(mergeKey in item)) throw errNoMergeKey(item, mergeKey);
      }
    }
    [toSort, toDelete] = extractToDeleteItems(toSort);
  }
  goSliceStable(toSort, (a, b) => {
    const ia = indexIn(order, a, mergeKey, kind);
    if (ia >= 0) {
      const ib = indexIn(order, b, mergeKey, kind);
      if (ib >= 0) return ia < ib;
    }
    return true;
  });
  return [...toSort, ...toDelete];
}

/** Inserts the server-only items (`left`) among the patch items (`right`) by their live order. */
function mergeSortedSlice(
  left: JsonValue[],
  right: JsonValue[],
  serverOrder: JsonValue[],
  mergeKey: string,
  kind: ElementKind,
): JsonValue[] {
  const out: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++] as JsonValue);
    else if (j >= right.length) out.push(left[i++] as JsonValue);
    else {
      const li = indexIn(serverOrder, left[i] as JsonValue, mergeKey, kind);
      const ri = indexIn(serverOrder, right[j] as JsonValue, mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++] as JsonValue);
      else out.push(right[j++] as JsonValue);
    }
  }
  return out;
}
