/**
 * Decoding of Kubernetes JSON into protobuf-es messages (see `k8s-json.ts` for the format): unknown
 * fields are reported by path, as `fieldValidation` needs, and type errors name the Go field path
 * with `encoding/json`'s texts.
 */
import { create, type DescField, type DescMessage, type MessageShape, ScalarType } from "@bufbuild/protobuf";
import { EXTRA_VALUES, INT_OR_STRING, isInline, QUANTITY, RAW_EXTENSION, TIME } from "./k8s-json-schema.js";
import { parseRfc3339 } from "./rfc3339.js";

/** What to do with JSON fields the schema does not know (`fieldValidation`). */
export type UnknownFieldPolicy = "Strict" | "Warn" | "Ignore";

export interface DecodeOptions {
  /** Top-level keys to skip silently (`apiVersion`, `kind` by default). */
  skipTopLevel?: readonly string[];
}

/** Either the decoded message and the paths of unknown fields, or a type error naming the field. */
export type DecodeResult<M> = { value: M; unknownFields: string[] } | { error: string };

class DecodeError extends Error {}

/** Kubernetes JSON → message. Type errors name the Go-style field path, as Kubernetes does. */
export function fromK8sJson<D extends DescMessage>(
  schema: D,
  json: unknown,
  options: DecodeOptions = {},
): DecodeResult<MessageShape<D>> {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    return {
      error: `json: cannot unmarshal ${jsonTypeName(json)} into Go value of type ${goTypeName(schema)}`,
    };
  }
  const unknown: string[] = [];
  const skip = new Set(options.skipTopLevel ?? ["apiVersion", "kind"]);
  try {
    const init = readObject(schema, json as Record<string, unknown>, "", unknown, skip, schema);
    return { value: create(schema, init as never) as MessageShape<D>, unknownFields: unknown };
  } catch (err) {
    if (err instanceof DecodeError) return { error: err.message };
    throw err;
  }
}

function goTypeName(schema: DescMessage): string {
  const parts = schema.typeName.split(".");
  return `${parts.at(-2)}.${parts.at(-1)}`;
}

function jsonTypeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "object") return "object";
  if (typeof v === "number") return "number";
  return typeof v;
}

/** Maps JSON names to fields, including the fields of inline members. */
interface FieldIndex {
  direct: Map<string, DescField>;
  inline: { field: DescField & { fieldKind: "message" }; index: FieldIndex }[];
}
const indexCache = new WeakMap<DescMessage, FieldIndex>();

function fieldIndex(schema: DescMessage): FieldIndex {
  let idx = indexCache.get(schema);
  if (idx) return idx;
  idx = { direct: new Map(), inline: [] };
  for (const f of schema.fields) {
    if (f.fieldKind === "message" && isInline(f)) {
      idx.inline.push({ field: f, index: fieldIndex(f.message) });
    } else {
      idx.direct.set(f.jsonName, f);
    }
  }
  indexCache.set(schema, idx);
  return idx;
}

/** Finds the field for a JSON key, returning the chain of inline fields that leads to it. */
function lookup(idx: FieldIndex, key: string): { chain: DescField[]; field: DescField } | undefined {
  const d = idx.direct.get(key);
  if (d) return { chain: [], field: d };
  for (const { field, index } of idx.inline) {
    const r = lookup(index, key);
    if (r) return { chain: [field, ...r.chain], field: r.field };
  }
  return undefined;
}

function readObject(
  schema: DescMessage,
  obj: Record<string, unknown>,
  path: string,
  unknown: string[],
  skip: ReadonlySet<string>,
  root: DescMessage,
): Record<string, unknown> {
  const init: Record<string, unknown> = {};
  const idx = fieldIndex(schema);
  for (const [key, value] of Object.entries(obj)) {
    if (skip.has(key)) continue;
    const hit = lookup(idx, key);
    const fieldPath = path ? `${path}.${key}` : key;
    if (!hit) {
      unknown.push(fieldPath);
      continue;
    }
    let target = init;
    for (const inl of hit.chain) {
      let next = target[inl.localName] as Record<string, unknown> | undefined;
      if (!next) {
        next = {};
        target[inl.localName] = next;
      }
      target = next;
    }
    const decoded = readField(hit.field, value, fieldPath, unknown, root);
    if (decoded !== undefined) target[hit.field.localName] = decoded;
  }
  return init;
}

function typeError(json: unknown, root: DescMessage, path: string, goType: string): DecodeError {
  return new DecodeError(
    `json: cannot unmarshal ${jsonTypeName(json)} into Go struct field ${goTypeName(root).split(".")[1]}.${path} of type ${goType}`,
  );
}

function readField(
  field: DescField,
  v: unknown,
  path: string,
  unknown: string[],
  root: DescMessage,
): unknown {
  if (v === null) return undefined; // Go: null leaves the zero value
  switch (field.fieldKind) {
    case "scalar":
      return readScalar(field.scalar, v, path, root);
    case "enum":
      if (typeof v !== "number") throw typeError(v, root, path, "int32");
      return v;
    case "message":
      return readMessage(field.message, v, path, unknown, root);
    case "list": {
      if (!Array.isArray(v)) throw typeError(v, root, path, `[]${listGoType(field)}`);
      return v.map((x, i) => {
        const p = `${path}[${i}]`;
        if (field.listKind === "scalar") return readScalar(field.scalar, x, p, root);
        if (field.listKind === "message") return readMessage(field.message, x, p, unknown, root);
        return x;
      });
    }
    case "map": {
      if (typeof v !== "object" || Array.isArray(v)) throw typeError(v, root, path, "map[string]");
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        const p = `${path}[${k}]`;
        if (field.mapKind === "scalar") {
          if (x === null) {
            out[k] = field.scalar === ScalarType.BYTES ? new Uint8Array() : "";
            continue;
          }
          out[k] = readScalar(field.scalar, x, p, root);
        } else if (field.mapKind === "message") {
          out[k] = readMessage(field.message, x, p, unknown, root) ?? create(field.message);
        } else {
          out[k] = x;
        }
      }
      return out;
    }
  }
}

function listGoType(field: DescField & { fieldKind: "list" }): string {
  if (field.listKind === "scalar") return scalarGoType(field.scalar);
  if (field.listKind === "message") return field.message.name;
  return "int32";
}

const quantityRe = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;

function readMessage(
  schema: DescMessage,
  v: unknown,
  path: string,
  unknown: string[],
  root: DescMessage,
): unknown {
  if (v === null) return undefined;
  switch (schema.typeName) {
    case TIME: {
      if (typeof v !== "string") throw typeError(v, root, path, "v1.Time");
      const ms = parseRfc3339(v);
      if (ms === undefined) {
        throw new DecodeError(
          `parsing time ${JSON.stringify(v)} as "2006-01-02T15:04:05Z07:00": cannot parse (field ${path})`,
        );
      }
      return create(schema, { seconds: BigInt(Math.floor(ms / 1000)) } as never);
    }
    case QUANTITY: {
      const s = typeof v === "number" ? String(v) : v;
      if (typeof s !== "string") throw typeError(v, root, path, "resource.Quantity");
      if (!quantityRe.test(s)) {
        throw new DecodeError(
          `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' (field ${path})`,
        );
      }
      return create(schema, { string: s } as never);
    }
    case INT_OR_STRING: {
      // intstr.IntOrString.UnmarshalJSON: a JSON string is Type 1 (String), anything else is
      // unmarshalled into the int32 IntVal (so a fraction or a bool is a type error).
      if (typeof v === "string") return create(schema, { type: 1n, strVal: v } as never);
      const intVal = readScalar(ScalarType.INT32, v, path, root);
      return create(schema, { type: 0n, intVal } as never);
    }
    case RAW_EXTENSION:
      return create(schema, { raw: Buffer.from(JSON.stringify(v)) } as never);
  }
  if (EXTRA_VALUES.has(schema.typeName)) {
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw typeError(v, root, path, "[]string");
    return create(schema, { items: v } as never);
  }
  if (typeof v !== "object" || Array.isArray(v)) throw typeError(v, root, path, schema.name);
  return create(
    schema,
    readObject(schema, v as Record<string, unknown>, path, unknown, new Set(), root) as never,
  );
}

function scalarGoType(t: ScalarType): string {
  switch (t) {
    case ScalarType.STRING:
      return "string";
    case ScalarType.BOOL:
      return "bool";
    case ScalarType.BYTES:
      return "[]uint8";
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return "int64";
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return "uint64";
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return "uint32";
    case ScalarType.DOUBLE:
      return "float64";
    case ScalarType.FLOAT:
      return "float32";
    default:
      return "int32";
  }
}

function readScalar(t: ScalarType, v: unknown, path: string, root: DescMessage): unknown {
  switch (t) {
    case ScalarType.STRING:
      if (typeof v !== "string") throw typeError(v, root, path, "string");
      return v;
    case ScalarType.BOOL:
      if (typeof v !== "boolean") throw typeError(v, root, path, "bool");
      return v;
    case ScalarType.BYTES: {
      if (typeof v !== "string") throw typeError(v, root, path, "[]uint8");
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 === 1) {
        throw new DecodeError(`illegal base64 data at input byte ${firstBadBase64(v)} (field ${path})`);
      }
      return new Uint8Array(Buffer.from(v, "base64"));
    }
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      if (typeof v !== "number") throw typeError(v, root, path, scalarGoType(t));
      return v;
    default: {
      const goType = scalarGoType(t);
      if (typeof v !== "number") throw typeError(v, root, path, goType);
      if (!Number.isInteger(v)) {
        throw new DecodeError(
          `json: cannot unmarshal number ${v} into Go struct field ${goTypeName(root).split(".")[1]}.${path} of type ${goType}`,
        );
      }
      const is64 = goType.endsWith("64");
      const min = goType.startsWith("u") ? 0 : is64 ? Number.MIN_SAFE_INTEGER : -(2 ** 31);
      const max = is64 ? Number.MAX_SAFE_INTEGER : goType.startsWith("u") ? 2 ** 32 - 1 : 2 ** 31 - 1;
      if (v < min || v > max) {
        throw new DecodeError(
          `json: cannot unmarshal number ${v} into Go struct field ${goTypeName(root).split(".")[1]}.${path} of type ${goType}`,
        );
      }
      return is64 ? BigInt(v) : v;
    }
  }
}

function firstBadBase64(s: string): number {
  for (let i = 0; i < s.length; i++) {
    if (!/[A-Za-z0-9+/=]/.test(s[i]!)) return i;
  }
  return s.length;
}
