import type { JsonObject, JsonValue } from "@tokenplane/apimachinery";

/** A JSON object (not null, not an array): what Go decodes as `map[string]interface{}`. */
export function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
