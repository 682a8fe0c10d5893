/**
 * The directives of a strategic merge patch (apimachinery `pkg/util/strategicpatch`): `$patch:
 * replace | delete` in maps and as list elements, `$retainKeys`, and the parallel-list key
 * prefixes `$deleteFromPrimitiveList/` and `$setElementOrder/`; plus stripping directives and
 * nulls from values the original does not have. Pure; throws `MergeError`.
 */
import type { JsonObject, JsonValue } from "@tokenplane/apimachinery";
import { isObject } from "./is-object.js";
import { findIndexByKey } from "./list-elements.js";
import {
  errBadArgType,
  errBadPatchFormatForPrimitiveList,
  errBadPatchFormatForRetainKeys,
  errBadPatchFormatForSetElementOrderList,
  errBadPatchType,
  errNoMergeKey,
  MAP,
  MergeError,
} from "./merge-error.js";

export const DIRECTIVE = "$patch";
export const DELETE = "delete";
export const REPLACE = "replace";
export const MERGE = "merge";
export const RETAIN_KEYS = "$retainKeys";
export const DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList";
export const SET_ELEMENT_ORDER = "$setElementOrder";

export function discardNullValuesFromPatch(v: JsonValue): void {
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
export function removeDirectives(v: JsonValue): [JsonValue, boolean] {
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

export function handleDirectiveInMergeMap(directive: JsonValue | undefined, patch: JsonObject): JsonObject {
  if (directive === REPLACE) {
    delete patch[DIRECTIVE];
    return patch;
  }
  if (directive === DELETE) return {};
  throw errBadPatchType(directive, patch);
}

export function extractKey(s: string, prefix: string): string {
  const i = s.indexOf("/");
  if (i < 0 || s.slice(0, i) !== prefix) {
    if (prefix === DELETE_FROM_PRIMITIVE_LIST) throw errBadPatchFormatForPrimitiveList();
    throw errBadPatchFormatForSetElementOrderList();
  }
  return s.slice(i + 1);
}

/** `$retainKeys`: clears the original's keys that the list does not name. */
export function applyRetainKeysDirective(original: JsonObject, patch: JsonObject): void {
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

/** Applies `$patch: delete` and `$patch: replace` elements; returns the new original and the rest of the patch. */
export function mergeSliceWithSpecialElements(
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

export function deleteMatchingEntries(
  original: JsonValue[],
  mergeKey: string,
  value: JsonValue,
): JsonValue[] {
  let out = original;
  for (;;) {
    const i = findIndexByKey(out, mergeKey, value);
    if (i < 0) return out;
    out = [...out.slice(0, i), ...out.slice(i + 1)];
  }
}

export function extractToDeleteItems(list: JsonValue[]): [JsonValue[], JsonValue[]] {
  const keep: JsonValue[] = [];
  const del: JsonValue[] = [];
  for (const v of list) {
    if (!isObject(v)) throw errBadArgType(MAP, v);
    if (v[DIRECTIVE] === DELETE) del.push(v);
    else keep.push(v);
  }
  return [keep, del];
}
