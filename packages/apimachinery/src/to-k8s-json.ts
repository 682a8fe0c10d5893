/**
 * Encoding of protobuf-es messages as Kubernetes JSON (see `k8s-json.ts` for how it differs from
 * proto3 JSON): zero values of plain fields omitted as Go's `omitempty` does, `optional` fields
 * written whenever set.
 */
import { type DescField, type DescMessage, type Message, ScalarType } from "@bufbuild/protobuf";
import type { JsonObject, JsonValue } from "./json-value.js";
import {
  alwaysEmit,
  alwaysEmitScalar,
  EXTRA_VALUES,
  INT_OR_STRING,
  isInline,
  QUANTITY,
  RAW_EXTENSION,
  TIME,
} from "./k8s-json-schema.js";
import { formatRfc3339 } from "./rfc3339.js";

/** Message → Kubernetes JSON object. `topLevel` marks an API object (metadata/spec/status emitted). */
export function toK8sJson(schema: DescMessage, msg: Message, topLevel = true): JsonObject {
  const out: JsonObject = {};
  writeFields(schema, msg as unknown as Record<string, unknown>, out, topLevel);
  return out;
}

function writeFields(
  schema: DescMessage,
  msg: Record<string, unknown>,
  out: JsonObject,
  topLevel: boolean,
): void {
  for (const field of schema.fields) {
    const v = msg[field.localName];
    if (field.fieldKind === "message" && isInline(field)) {
      if (v !== undefined) writeFields(field.message, v as Record<string, unknown>, out, false);
      continue;
    }
    const encoded = encodeField(field, v, topLevel);
    if (encoded !== undefined) out[field.jsonName] = encoded;
  }
}

function encodeField(field: DescField, v: unknown, topLevel: boolean): JsonValue | undefined {
  switch (field.fieldKind) {
    case "scalar": {
      if (v === undefined) return undefined;
      if (field.presence === 2 /* IMPLICIT */ && isZero(field.scalar, v) && !alwaysEmitScalar(field))
        return undefined;
      return encodeScalar(field.scalar, v);
    }
    case "enum":
      return v === undefined || v === 0 ? undefined : (v as number);
    case "message": {
      if (v === undefined) return alwaysEmit(field, topLevel) ? {} : undefined;
      return encodeMessage(field.message, v as Message);
    }
    case "list": {
      const arr = v as unknown[];
      if (arr.length === 0) return alwaysEmit(field, topLevel) ? [] : undefined;
      switch (field.listKind) {
        case "scalar":
          return arr.map((x) => encodeScalar(field.scalar, x));
        case "enum":
          return arr as number[];
        case "message":
          return arr.map((x) => encodeMessage(field.message, x as Message));
      }
      return undefined;
    }
    case "map": {
      const rec = v as Record<string, unknown>;
      const keys = Object.keys(rec);
      if (keys.length === 0) return undefined;
      const o: JsonObject = {};
      for (const k of keys) {
        const x = rec[k];
        switch (field.mapKind) {
          case "scalar":
            o[k] = encodeScalar(field.scalar, x);
            break;
          case "enum":
            o[k] = x as number;
            break;
          case "message":
            o[k] = encodeMessage(field.message, x as Message);
            break;
        }
      }
      return o;
    }
  }
}

function encodeMessage(schema: DescMessage, msg: Message): JsonValue {
  const m = msg as unknown as Record<string, unknown>;
  switch (schema.typeName) {
    case TIME: {
      const seconds = Number(m.seconds as bigint);
      return formatRfc3339(seconds * 1000);
    }
    case QUANTITY:
      return m.string as string;
    case INT_OR_STRING:
      // intstr.IntOrString.MarshalJSON: Type 1 (String) writes StrVal, anything else IntVal.
      return m.type === 1n
        ? ((m.strVal as string | undefined) ?? "")
        : ((m.intVal as number | undefined) ?? 0);
    case RAW_EXTENSION: {
      const raw = m.raw as Uint8Array;
      if (raw.length === 0) return null;
      return JSON.parse(Buffer.from(raw).toString("utf8")) as JsonValue;
    }
  }
  if (EXTRA_VALUES.has(schema.typeName)) return [...(m.items as string[])];
  const out: JsonObject = {};
  writeFields(schema, m, out, false);
  return out;
}

function isZero(t: ScalarType, v: unknown): boolean {
  switch (t) {
    case ScalarType.STRING:
      return v === "";
    case ScalarType.BOOL:
      return v === false;
    case ScalarType.BYTES:
      return (v as Uint8Array).length === 0;
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return v === 0n || v === 0;
    default:
      return v === 0;
  }
}

function encodeScalar(t: ScalarType, v: unknown): JsonValue {
  switch (t) {
    case ScalarType.BYTES:
      return Buffer.from(v as Uint8Array).toString("base64");
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return Number(v as bigint);
    default:
      return v as JsonValue;
  }
}
