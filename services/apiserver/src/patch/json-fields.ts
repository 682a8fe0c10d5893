/**
 * The Kubernetes JSON shape of a protobuf message, as the codec in `@tokenplane/apimachinery`
 * (`toK8sJson` / `fromK8sJson`) writes it: which JSON keys an object has, which embedded structs
 * are inlined into their parent, and which messages have a special JSON form (Time, Quantity,
 * IntOrString, RawExtension, ExtraValue).
 *
 * Inlining is not restated here: it is read off the codec itself by encoding a probe message
 * (`isInlineField`), so the OpenAPI generator and the strategic merge patch always agree with the
 * JSON the API actually serves.
 */
import { create, type DescField, type DescMessage, type Message, ScalarType } from "@bufbuild/protobuf";
import { toK8sJson } from "@tokenplane/apimachinery";

/** Messages whose JSON is not an object. */
export type SpecialJsonForm =
  /** `metav1.Time`: an RFC 3339 string. */
  | "time"
  /** `resource.Quantity`: a string (a number is accepted on input). */
  | "quantity"
  /** `intstr.IntOrString`: a bare number or a bare string. */
  | "int-or-string"
  /** `runtime.RawExtension`: any embedded JSON. */
  | "raw"
  /** `ExtraValue`: a bare array of strings. */
  | "string-array";

const SPECIAL: ReadonlyMap<string, SpecialJsonForm> = new Map([
  ["k8s.io.apimachinery.pkg.apis.meta.v1.Time", "time"],
  ["k8s.io.apimachinery.pkg.api.resource.Quantity", "quantity"],
  ["k8s.io.apimachinery.pkg.util.intstr.IntOrString", "int-or-string"],
  ["k8s.io.apimachinery.pkg.runtime.RawExtension", "raw"],
  ["k8s.io.api.authentication.v1.ExtraValue", "string-array"],
  ["k8s.io.api.authorization.v1.ExtraValue", "string-array"],
]);

/** The special JSON form of a message type, or undefined for a plain JSON object. */
export function specialJsonForm(desc: DescMessage): SpecialJsonForm | undefined {
  return SPECIAL.get(desc.typeName);
}

const inlineCache = new WeakMap<DescField, boolean>();

/**
 * True when the codec writes this message field's members into the parent object (a Go
 * `json:",inline"` embedded struct such as `Volume.volumeSource`), found by encoding a parent
 * whose only set field is this one and checking whether its own key appears.
 */
export function isInlineField(field: DescField): boolean {
  if (field.fieldKind !== "message" || specialJsonForm(field.message)) return false;
  let inline = inlineCache.get(field);
  if (inline === undefined) {
    const parent = create(field.parent) as unknown as Record<string, unknown>;
    parent[field.localName] = probe(field.message, 0);
    const json = toK8sJson(field.parent, parent as unknown as Message, false);
    inline = !(field.jsonName in json) && Object.keys(json).length > 0;
    inlineCache.set(field, inline);
  }
  return inline;
}

/** A message with one non-zero member, so that its encoding is not empty. */
function probe(desc: DescMessage, depth: number): Message {
  const msg = create(desc) as unknown as Record<string, unknown>;
  const first = desc.fields[0];
  if (!first || depth > 8) return msg as unknown as Message;
  switch (first.fieldKind) {
    case "scalar":
      msg[first.localName] = probeScalar(first.scalar);
      break;
    case "enum":
      msg[first.localName] = 1;
      break;
    case "message":
      msg[first.localName] = probe(first.message, depth + 1);
      break;
    case "list":
      if (first.listKind === "scalar") msg[first.localName] = [probeScalar(first.scalar)];
      else if (first.listKind === "message") msg[first.localName] = [probe(first.message, depth + 1)];
      else msg[first.localName] = [1];
      break;
    case "map":
      if (first.mapKind === "scalar") msg[first.localName] = { k: probeScalar(first.scalar) };
      else if (first.mapKind === "message") msg[first.localName] = { k: probe(first.message, depth + 1) };
      else msg[first.localName] = { k: 1 };
      break;
  }
  return msg as unknown as Message;
}

function probeScalar(t: ScalarType): unknown {
  switch (t) {
    case ScalarType.STRING:
      return "x";
    case ScalarType.BOOL:
      return true;
    case ScalarType.BYTES:
      return new TextEncoder().encode("1");
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return 1n;
    default:
      return 1;
  }
}

/** A JSON key of an object and the field that carries it (possibly inside inline members). */
export interface JsonField {
  /** The JSON key. */
  name: string;
  /** The field; `field.parent` is the message that declares it (an inline member's type). */
  field: DescField;
}

const fieldsCache = new WeakMap<DescMessage, ReadonlyMap<string, JsonField>>();

/** The JSON keys of a message's object form, inline members flattened, in declaration order. */
export function jsonFieldsOf(desc: DescMessage): ReadonlyMap<string, JsonField> {
  let out = fieldsCache.get(desc);
  if (!out) {
    const m = new Map<string, JsonField>();
    for (const field of desc.fields) {
      if (field.fieldKind === "message" && isInlineField(field)) {
        for (const [k, v] of jsonFieldsOf(field.message)) if (!m.has(k)) m.set(k, v);
      } else {
        m.set(field.jsonName, { name: field.jsonName, field });
      }
    }
    out = m;
    fieldsCache.set(desc, out);
  }
  return out;
}
