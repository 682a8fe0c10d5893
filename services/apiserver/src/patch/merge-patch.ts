/**
 * `application/merge-patch+json` (RFC 7386), as the apiserver applies it with
 * evanphx/json-patch v4's `MergePatch`: members of the patch replace those of the document,
 * objects merge recursively, `null` deletes. A patch that is an array replaces the document (with
 * its nulls pruned); `null` or a scalar as the whole patch is 400 `Invalid JSON Patch`.
 */
import { type JsonObject, type JsonValue, newBadRequest } from "@tokenplane/apimachinery";

/** Applies an RFC 7386 merge patch to a copy of `doc`. Throws `StatusError` (400) for a bad patch. */
export function applyMergePatch(doc: JsonObject, patch: JsonValue): JsonValue {
  if (patch === null || typeof patch !== "object") throw newBadRequest("Invalid JSON Patch");
  if (Array.isArray(patch)) return pruneNulls(structuredClone(patch));
  const out = structuredClone(doc);
  mergeDocs(out, structuredClone(patch));
  return out;
}

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function mergeDocs(doc: JsonObject, patch: JsonObject): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      delete doc[k];
      continue;
    }
    const cur = doc[k];
    if (cur === undefined || cur === null) {
      doc[k] = pruneNulls(v);
    } else {
      doc[k] = merge(cur, v);
    }
  }
}

function merge(cur: JsonValue, patch: JsonValue): JsonValue {
  if (!isObject(cur)) return pruneNulls(patch);
  if (!isObject(patch)) return patch;
  mergeDocs(cur, patch);
  return cur;
}

/** Removes null members of objects, recursively (arrays' null elements stay, as in the library). */
function pruneNulls(v: JsonValue): JsonValue {
  if (Array.isArray(v)) {
    for (const x of v) pruneNulls(x);
  } else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (x === null) delete v[k];
      else pruneNulls(x);
    }
  }
  return v;
}
