/**
 * Decoding a verified JWT payload into claim structs with the observable behaviour of Go's
 * encoding/json + go-jose (which Kubernetes uses, reference §1.4 step 4), so that malformed claims
 * fail with the same texts:
 * - field names match case-insensitively, the last matching key wins;
 * - a JSON `null` leaves a field at its zero value (pointers stay nil) — except `aud`, whose
 *   custom unmarshaler rejects `null`;
 * - a wrong JSON type for a plain field is remembered (the first one is reported) and decoding
 *   goes on: `json: cannot unmarshal <json type> into Go struct field <Struct>.<path> of type <type>`;
 * - a custom unmarshaler error (`aud`, NumericDate) stops decoding at once and wins.
 * Internal to the package.
 */

/** A parsed JSON object. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** Field kinds of the claim structs. */
export type FieldSpec =
  | { readonly kind: "string" }
  | { readonly kind: "numericDate" }
  | { readonly kind: "audience" }
  | StructSpec;

/** A Go struct: its Go type name (for error texts) and its fields by JSON name. */
export interface StructSpec {
  readonly kind: "struct";
  /** Unqualified struct name, e.g. `Claims`, used as `<Struct>` in type errors. */
  readonly name: string;
  /** Qualified type, e.g. `serviceaccount.ref`, used as `of type <type>`. */
  readonly goType: string;
  readonly fields: Readonly<Record<string, FieldSpec>>;
}

/** `{ ok: true, value }` or `{ ok: false, error }` with the Go error text. */
export type Decoded<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: string };

/** go-jose jwt.ErrUnmarshalAudience. */
export const ERR_UNMARSHAL_AUDIENCE =
  "go-jose/go-jose/jwt: expected string or array value to unmarshal to Audience";
/** go-jose jwt.ErrUnmarshalNumericDate. */
export const ERR_UNMARSHAL_NUMERIC_DATE =
  "go-jose/go-jose/jwt: expected number value to unmarshal NumericDate";

class Abort {
  constructor(readonly message: string) {}
}

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return "array";
  switch (typeof value) {
    case "string":
      return "string";
    case "number":
      return "number";
    case "boolean":
      return "bool";
    default:
      return "object";
  }
}

interface State {
  saved: string | undefined;
}

function typeError(
  state: State,
  value: unknown,
  struct: string,
  path: readonly string[],
  goType: string,
): void {
  state.saved ??= `json: cannot unmarshal ${jsonType(value)} into Go struct field ${struct}.${path.join(".")} of type ${goType}`;
}

function decodeValue(spec: FieldSpec, value: unknown, state: State, struct: string, path: string[]): unknown {
  switch (spec.kind) {
    case "string":
      if (value === null) return undefined;
      if (typeof value === "string") return value;
      typeError(state, value, struct, path, "string");
      return undefined;
    case "numericDate":
      if (value === null) return undefined;
      // Go parses the literal as float64 and converts to int64 (truncation).
      if (typeof value === "number") return Math.trunc(value);
      throw new Abort(ERR_UNMARSHAL_NUMERIC_DATE);
    case "audience":
      if (typeof value === "string") return [value];
      if (Array.isArray(value) && value.every((item) => typeof item === "string")) return [...value];
      throw new Abort(ERR_UNMARSHAL_AUDIENCE);
    case "struct":
      if (value === null) return undefined;
      if (typeof value !== "object" || Array.isArray(value)) {
        typeError(state, value, struct, path, spec.goType);
        return undefined;
      }
      return decodeStruct(spec, value as JsonObject, state, path);
  }
}

// Go falls back to a case-insensitive match when no field has the exact name. The folded names
// of each struct are computed once: this runs for every key of every verified token.
const foldedNames = new WeakMap<StructSpec, ReadonlyMap<string, string>>();

function foldMatch(spec: StructSpec, key: string): string | undefined {
  let folded = foldedNames.get(spec);
  if (folded === undefined) {
    folded = new Map(Object.keys(spec.fields).map((name) => [name.toLowerCase(), name]));
    foldedNames.set(spec, folded);
  }
  return folded.get(key.toLowerCase());
}

function decodeStruct(
  spec: StructSpec,
  object: JsonObject,
  state: State,
  path: string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in object) {
    const name = Object.hasOwn(spec.fields, key) ? key : foldMatch(spec, key);
    if (name === undefined) continue;
    path.push(name);
    const decoded = decodeValue(spec.fields[name]!, object[key], state, spec.name, path);
    path.pop();
    if (decoded !== undefined) out[name] = decoded;
  }
  return out;
}

/**
 * Decodes `object` into the struct `spec`, returning the present, well-typed fields (absent or
 * null fields are left out) or Go's error text.
 */
export function decodeGoStruct(spec: StructSpec, object: JsonObject): Decoded<Record<string, unknown>> {
  const state: State = { saved: undefined };
  try {
    const value = decodeStruct(spec, object, state, []);
    return state.saved === undefined ? { ok: true, value } : { ok: false, error: state.saved };
  } catch (error) {
    if (error instanceof Abort) return { ok: false, error: error.message };
    throw error;
  }
}
