/**
 * The order of a merged list, as Kubernetes produces it (apimachinery `pkg/util/strategicpatch`
 * `normalizeElementOrder`): the patch's elements in the patch's (or `$setElementOrder`'s) order,
 * the elements only the server has in their live order, interleaved by Go's `mergeSortedSlice`
 * (with Go's stable sort, `go-sort.ts`). Pure; throws `MergeError`.
 */
import type { JsonValue } from "@tokenplane/apimachinery";
import { goValue } from "./go-format.js";
import { goSliceStable } from "./go-sort.js";
import { isObject } from "./is-object.js";
import { type ElementKind, mergeKeyValueEqual } from "./list-elements.js";
import { errBadArgType, errNoMergeKey, MAP, MergeError } from "./merge-error.js";
import { DIRECTIVE, extractToDeleteItems, SET_ELEMENT_ORDER } from "./patch-directives.js";

/** The patch list's items must appear in the `$setElementOrder` list, in the same relative order. */
export function validatePatchWithSetOrderList(
  patchList: JsonValue[],
  order: JsonValue[],
  mergeKey: string,
): void {
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

/** Position of `v` in `list`, by merge key for objects. */
export function indexIn(list: JsonValue[], v: JsonValue, mergeKey: string, kind: ElementKind): number {
  const key = (x: JsonValue): JsonValue | undefined =>
    kind === "map" ? (isObject(x) ? x[mergeKey] : undefined) : x;
  const want = key(v);
  for (let i = 0; i < list.length; i++) if (key(list[i] as JsonValue) === want) return i;
  return -1;
}

/** Sorts the patch items by `patchOrder` and the server-only items by `serverOrder`, then interleaves them. */
export function normalizeElementOrder(
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

export function normalizeSliceOrder(
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
export function mergeSortedSlice(
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
