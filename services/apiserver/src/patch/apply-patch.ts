/**
 * Server-side apply (`application/apply-patch+yaml`, `kubectl apply --server-side`), approximated.
 *
 * Kubernetes tracks which manager owns which field (`metadata.managedFields`) and merges an
 * applied configuration with structured-merge-diff: fields the manager applied before and no
 * longer applies are removed, conflicts with other managers are 409 unless `force=true`.
 * tokenplane does not track field ownership, so apply here is:
 *
 * - **create** when the object does not exist: the applied configuration is the object (nulls
 *   dropped);
 * - **merge** otherwise: the applied configuration is merged into the current object with the
 *   strategic merge patch rules (`strategic-merge-patch.ts`) — objects and maps merge key by key,
 *   lists with a merge key (containers, volumes, env, ownerReferences, ...) merge element by element,
 *   `set` lists (finalizers) are united, every other list is replaced, `null` deletes.
 *
 * What this approximation does not do: remove fields a manager stopped applying, report
 * conflicts (so `force` changes nothing), key map lists on several keys (container ports merge by
 * `containerPort` alone), or write `managedFields`.
 */
import type { DescMessage } from "@bufbuild/protobuf";
import { type JsonObject, type JsonValue, newBadRequest } from "@tokenplane/apimachinery";
import { parseAllDocuments } from "yaml";
import { messageNode } from "./patch-schema.js";
import { strategicMerge } from "./strategic-merge-patch.js";

/**
 * Decodes an apply body: YAML (1.1, as Kubernetes' go-yaml reads it: `yes`/`on` are booleans,
 * timestamps stay strings) or JSON, which is YAML. Only the first document counts. Throws
 * `StatusError` 400 `error decoding YAML: ...`.
 */
export function parseApplyPatch(body: Uint8Array | string): JsonObject {
  const text = typeof body === "string" ? body : new TextDecoder().decode(body);
  const docs = parseAllDocuments(text, {
    version: "1.1",
    customTags: (tags) =>
      tags.filter((t) => typeof t === "string" || t.tag !== "tag:yaml.org,2002:timestamp"),
  });
  const first = Array.isArray(docs) ? docs[0] : undefined;
  if (!first) return {};
  const err = first.errors[0];
  if (err) throw newBadRequest(`error decoding YAML: ${err.message.split("\n")[0]}`);
  const value = first.toJS() as JsonValue | undefined;
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    const t = Array.isArray(value) ? "array" : typeof value;
    throw newBadRequest(
      `error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${t} into Go value of type map[string]interface {}`,
    );
  }
  return value;
}

/** The outcome of an apply: the object to store and whether it is new (201) or updated (200). */
export interface ApplyResult {
  object: JsonObject;
  created: boolean;
}

/**
 * Applies `applied` (Kubernetes JSON) to `current` (undefined when the object does not exist)
 * with the approximation described above, using the patch markers of `schema`'s message type.
 * Neither argument is modified. Throws `StatusError`.
 */
export function applyServerSide(
  current: JsonObject | undefined,
  applied: JsonObject,
  schema: DescMessage,
): ApplyResult {
  if (current === undefined) {
    return { object: strategicMerge({}, structuredClone(applied), messageNode(schema)), created: true };
  }
  return {
    object: strategicMerge(structuredClone(current), structuredClone(applied), messageNode(schema)),
    created: false,
  };
}
