/** JSON as `JSON.parse` returns it: the values the Kubernetes JSON codec reads and writes. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };
export type JsonObject = { [k: string]: JsonValue };
