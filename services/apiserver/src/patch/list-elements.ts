/**
 * Lookups on the elements of a list the strategic merge patch merges: their one kind (all maps or
 * all scalars), finding and comparing maps by their merge key, and the set operations on scalar
 * lists (apimachinery `pkg/util/strategicpatch`, helper for helper). Pure; throws `MergeError`.
 */
import type { JsonValue } from "@tokenplane/apimachinery";
import { goTypeOf, goValue } from "./go-format.js";
import { isObject } from "./is-object.js";
import { errBadArgType, errNoListOfLists, errNoMergeKey, MAP, MergeError } from "./merge-error.js";

export type ElementKind = "map" | "scalar";

/** `sliceElementType`: every element of every list has one JSON type, not a list. */
export function sliceElementKind(lists: JsonValue[][]): ElementKind {
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

/** `findMapInSliceBasedOnKeyValue`: the first element whose merge key equals `value`. */
export function findIndexByKey(list: JsonValue[], key: string, value: JsonValue): number {
  for (let i = 0; i < list.length; i++) {
    const item = list[i] as JsonValue;
    if (!isObject(item)) throw new MergeError(`value for key ${i} is not a map`);
    if (key in item && item[key] === value) return i;
  }
  return -1;
}

export function mergeKeyValueEqual(left: JsonValue, right: JsonValue, mergeKey: string): boolean {
  if (!mergeKey) return left === right;
  if (!isObject(left)) throw errBadArgType(MAP, left);
  if (!isObject(right)) throw errBadArgType(MAP, right);
  if (!(mergeKey in left)) throw errNoMergeKey(left, mergeKey);
  if (!(mergeKey in right)) throw errNoMergeKey(right, mergeKey);
  return left[mergeKey] === right[mergeKey];
}

export function deleteFromSlice(current: JsonValue[], toDelete: JsonValue[]): JsonValue[] {
  const del = new Set(toDelete);
  return current.filter((v) => !del.has(v));
}

/** Go's in-place de-duplication: a duplicate is overwritten by the last element. */
export function deduplicateScalars(input: JsonValue[]): JsonValue[] {
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

export function partitionPrimitivesByPresentInList(
  list: JsonValue[],
  by: JsonValue[],
): [JsonValue[], JsonValue[]] {
  const inBy = new Set(by);
  return [list.filter((v) => inBy.has(v)), list.filter((v) => !inBy.has(v))];
}

export function partitionMapsByPresentInList(
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
