/**
 * Decoding a create/update body into the message of the kind the URL names, with
 * kube-apiserver's rules and texts (handlers/create.go, `transformDecodeError`, the JSON/YAML and
 * protobuf serializers):
 *
 * - the body's `apiVersion`/`kind` default to the URL's; a different registered kind cannot be
 *   converted (`Secret in version "v1" cannot be handled as a ServiceAccount: converting
 *   (v1.Secret) to (core.ServiceAccount): unknown conversion`);
 * - malformed bytes are `the object provided is unrecognized (must be of type <Kind>): <why>
 *   (<first 30 bytes>)`, with Go's JSON scanner texts;
 * - `fieldValidation`: Strict turns unknown fields into 400 `strict decoding error: unknown field
 *   "spec.foo"`, Warn (the default) into `unknown field "spec.foo"` warnings, Ignore drops them.
 */
import { type DescMessage, fromBinary, type Message } from "@bufbuild/protobuf";
import {
  decodeProtobufEnvelope,
  fromK8sJson,
  type JsonValue,
  newBadRequest,
  resources,
  type StatusError,
  tokenRequestKind,
} from "@tokenplane/apimachinery";
import { parseAllDocuments } from "yaml";
import { goJsonSyntaxError } from "./go-json-syntax.js";
import type { InputFormat } from "./negotiate.js";

/** The kind a URL expects in its body. */
export interface ExpectedKind {
  group: string;
  version: string;
  kind: string;
  schema: DescMessage;
}

/** `fieldValidation` directives. */
export type FieldValidation = "Strict" | "Warn" | "Ignore";

/** A decoded body. */
export interface DecodedObject<M extends Message = Message> {
  object: M;
  /** Warnings to send (unknown fields under `Warn`). */
  warnings: string[];
}

/** Kinds the scheme knows, by `group/version` ("v1" for core): a known kind fails conversion, an unknown one is "not registered". */
const registered = new Map<string, Set<string>>();
function register(apiVersion: string, kind: string) {
  let set = registered.get(apiVersion);
  if (!set) {
    set = new Set();
    registered.set(apiVersion, set);
  }
  set.add(kind);
}
for (const r of resources) {
  register(r.apiVersion, r.kind);
  if (r.listSchema) register(r.apiVersion, `${r.kind}List`);
}
register(tokenRequestKind.apiVersion, tokenRequestKind.kind);
register("v1", "Binding");

/** The Go package of a group's internal types, as conversion errors name them. */
function internalPackage(group: string): string {
  if (group === "") return "core";
  return group.split(".")[0] ?? group;
}

/** `summarizeData(body, 30)`: how decode errors quote the body. */
export function summarizeBody(body: Uint8Array, max = 30): string {
  if (body.length === 0) return "<empty>";
  const cut = body.length > max;
  const head = body.subarray(0, max);
  if (body[0] === 0x7b) return `${Buffer.from(head).toString("utf8")}${cut ? " ..." : ""}`;
  return `${Buffer.from(head).toString("hex")}${cut ? " ..." : ""}`;
}

function unrecognized(expected: ExpectedKind, why: string, body: Uint8Array): StatusError {
  return newBadRequest(
    `the object provided is unrecognized (must be of type ${expected.kind}): ${why} (${summarizeBody(body)})`,
  );
}

function cannotHandle(kind: string, version: string, expected: ExpectedKind, why: string): StatusError {
  return newBadRequest(
    `${kind} in version ${JSON.stringify(version)} cannot be handled as a ${expected.kind}: ${why}`,
  );
}

interface Gvk {
  group: string;
  version: string;
  kind: string;
}

/** `gvkWithDefaults`: the body's type with the URL's filling what it leaves out. */
function withDefaults(actual: Gvk, expected: ExpectedKind): Gvk {
  const out = { ...actual };
  if (out.kind === "") out.kind = expected.kind;
  if (out.version === "" && out.group === "") {
    out.group = expected.group;
    out.version = expected.version;
  }
  if (out.version === "" && out.group === expected.group) out.version = expected.version;
  return out;
}

/** `schema.ParseGroupVersion`. */
function parseGroupVersion(apiVersion: string): { group: string; version: string } | { error: string } {
  if (apiVersion === "" || apiVersion === "/") return { group: "", version: "" };
  const parts = apiVersion.split("/");
  if (parts.length === 1) return { group: "", version: apiVersion };
  if (parts.length === 2) return { group: parts[0]!, version: parts[1]! };
  return { error: `unexpected GroupVersion string: ${apiVersion}` };
}

/** Fails unless the body's type is the expected one (conversion between kinds does not exist). */
function checkKind(actual: Gvk, expected: ExpectedKind): void {
  if (actual.group === expected.group && actual.version === expected.version && actual.kind === expected.kind)
    return;
  const apiVersion = actual.group ? `${actual.group}/${actual.version}` : actual.version;
  if (registered.get(apiVersion)?.has(actual.kind)) {
    throw cannotHandle(
      actual.kind,
      actual.version,
      expected,
      `converting (${actual.version}.${actual.kind}) to (${internalPackage(expected.group)}.${expected.kind}): unknown conversion`,
    );
  }
  throw cannotHandle(
    actual.kind,
    actual.version,
    expected,
    `no kind ${JSON.stringify(actual.kind)} is registered for version ${JSON.stringify(apiVersion)} in scheme "pkg/api/legacyscheme/scheme.go:30"`,
  );
}

const findKindGoType =
  'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';

/** Reads `apiVersion`/`kind` from JSON as `SimpleMetaFactory.Interpret` does. */
function interpretJson(json: JsonValue): Gvk | { error: string } {
  if (json === null) return { group: "", version: "", kind: "" };
  if (typeof json !== "object" || Array.isArray(json)) {
    const t = Array.isArray(json) ? "array" : typeof json;
    return {
      error: `couldn't get version/kind; json parse error: json: cannot unmarshal ${t} into Go value of type ${findKindGoType}`,
    };
  }
  for (const field of ["apiVersion", "kind"] as const) {
    const v = json[field];
    if (v !== undefined && v !== null && typeof v !== "string") {
      const t = Array.isArray(v) ? "array" : typeof v;
      return {
        error: `couldn't get version/kind; json parse error: json: cannot unmarshal ${t} into Go struct field .${field} of type string`,
      };
    }
  }
  const gv = parseGroupVersion(typeof json.apiVersion === "string" ? json.apiVersion : "");
  if ("error" in gv) return gv;
  return { ...gv, kind: typeof json.kind === "string" ? json.kind : "" };
}

/** Parses a YAML body to JSON as `yaml.YAMLToJSON` (YAML 1.1, first document) does. */
function yamlToJson(text: string): { value: JsonValue } | { error: string } {
  const docs = parseAllDocuments(text, { version: "1.1" });
  const docList = Array.isArray(docs) ? docs : [docs];
  const doc = docList[0];
  if (!doc) return { value: null };
  const err = doc.errors[0];
  if (err) {
    const line = err.linePos?.[0]?.line;
    const first = err.message.split("\n")[0] ?? err.message;
    return {
      error: `error converting YAML to JSON: yaml: ${line !== undefined ? `line ${line}: ` : ""}${first}`,
    };
  }
  return { value: doc.toJS({ maxAliasCount: 100 }) as JsonValue };
}

/** Parses a JSON or YAML body into plain JSON, or fails with Kubernetes' text. */
export function parseStructuredBody(
  body: Uint8Array,
  format: "json" | "yaml",
  expected: ExpectedKind,
): JsonValue {
  if (format === "json") {
    const syntax = goJsonSyntaxError(body);
    if (syntax !== undefined)
      throw unrecognized(expected, `couldn't get version/kind; json parse error: ${syntax}`, body);
    return JSON.parse(Buffer.from(body).toString("utf8")) as JsonValue;
  }
  const r = yamlToJson(Buffer.from(body).toString("utf8"));
  if ("error" in r) throw unrecognized(expected, r.error, body);
  return r.value;
}

/** Unknown-field handling shared by every decode path. */
export function applyFieldValidation(
  unknownFields: readonly string[],
  validation: FieldValidation,
  onStrict: (message: string) => StatusError,
): string[] {
  if (unknownFields.length === 0 || validation === "Ignore") return [];
  const texts = unknownFields.map((f) => `unknown field ${JSON.stringify(f)}`);
  if (validation === "Strict") throw onStrict(`strict decoding error: ${texts.join(", ")}`);
  return texts;
}

/** Decodes a JSON value already parsed from the body (JSON or YAML). */
export function decodeJsonObject<M extends Message>(
  json: JsonValue,
  body: Uint8Array,
  expected: ExpectedKind,
  validation: FieldValidation,
): DecodedObject<M> {
  const gvk = interpretJson(json);
  if ("error" in gvk) throw unrecognized(expected, gvk.error, body);
  const actual = withDefaults(gvk, expected);
  checkKind(actual, expected);
  const decoded = fromK8sJson(expected.schema, json ?? {});
  if ("error" in decoded) throw cannotHandle(actual.kind, actual.version, expected, decoded.error);
  const warnings = applyFieldValidation(decoded.unknownFields, validation, (m) =>
    cannotHandle(actual.kind, actual.version, expected, m),
  );
  return { object: decoded.value as unknown as M, warnings };
}

const protobufPrefix = [0x6b, 0x38, 0x73, 0x00];
const timeType = "k8s.io.apimachinery.pkg.apis.meta.v1.Time";

/**
 * Go writes every value-struct field, so a protobuf body carries an empty `metav1.Time` for each
 * unset timestamp (`creationTimestamp` of a new object); Kubernetes reads an empty or all-zero
 * Time as the zero time (`Time.Unmarshal`). Clearing them keeps them out of the JSON and out of
 * "metadata must be empty" checks.
 */
export function clearZeroTimes(schema: DescMessage, message: Message): void {
  const m = message as unknown as Record<string, unknown>;
  for (const field of schema.fields) {
    const v = m[field.localName];
    if (v === undefined) continue;
    if (field.fieldKind === "message") {
      if (field.message.typeName === timeType) {
        const t = v as { seconds: bigint; nanos: number };
        if (t.seconds === 0n && t.nanos === 0) m[field.localName] = undefined;
      } else {
        clearZeroTimes(field.message, v as Message);
      }
    } else if (field.fieldKind === "list" && field.listKind === "message") {
      for (const item of v as Message[]) clearZeroTimes(field.message, item);
    } else if (field.fieldKind === "map" && field.mapKind === "message") {
      for (const item of Object.values(v as Record<string, Message>)) clearZeroTimes(field.message, item);
    }
  }
}

/** Decodes a `k8s\0` protobuf envelope (unknown fields cannot be detected in protobuf). */
export function decodeProtobufObject<M extends Message>(
  body: Uint8Array,
  expected: ExpectedKind,
): DecodedObject<M> {
  if (body.length === 0) throw unrecognized(expected, "empty data", body);
  if (body.length < 4 || !protobufPrefix.every((b, i) => body[i] === b)) {
    throw unrecognized(
      expected,
      `provided data does not appear to be a protobuf message, expected prefix [${protobufPrefix.join(" ")}]`,
      body,
    );
  }
  if (body.length === 4) throw unrecognized(expected, "empty body", body);
  const envelope = decodeProtobufEnvelope(body);
  if ("error" in envelope) throw unrecognized(expected, envelope.error, body);
  const gv = parseGroupVersion(envelope.value.apiVersion);
  if ("error" in gv) throw unrecognized(expected, gv.error, body);
  const actual = withDefaults({ ...gv, kind: envelope.value.kind }, expected);
  checkKind(actual, expected);
  try {
    const object = fromBinary(expected.schema, envelope.value.raw);
    clearZeroTimes(expected.schema, object);
    return { object: object as unknown as M, warnings: [] };
  } catch (err) {
    throw cannotHandle(
      actual.kind,
      actual.version,
      expected,
      err instanceof Error ? err.message : String(err),
    );
  }
}

/** Decodes a create/update body of any accepted format. */
export function decodeObject<M extends Message>(
  body: Uint8Array,
  format: InputFormat,
  expected: ExpectedKind,
  validation: FieldValidation,
): DecodedObject<M> {
  if (format === "protobuf") return decodeProtobufObject<M>(body, expected);
  const json = parseStructuredBody(body, format, expected);
  return decodeJsonObject<M>(json, body, expected, validation);
}
