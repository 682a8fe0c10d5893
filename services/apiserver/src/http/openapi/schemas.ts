/**
 * OpenAPI schemas generated from the protobuf descriptors, describing exactly the JSON the
 * codec (`toK8sJson`) writes: JSON field names, inline members flattened into their parent, int64
 * as `integer`/`int64`, bytes as `string`/`byte`, maps as `additionalProperties`, `metav1.Time` a
 * `date-time` string, `Quantity` a string (or number), `IntOrString` an `int-or-string`, `ExtraValue`
 * an array of strings, and the
 * list markers of the one patch-metadata table as `x-kubernetes-*` extensions.
 *
 * v3 wraps a `$ref` that carries a description in `allOf` (as Kubernetes' v3 documents do); v2
 * keeps `$ref` and `description` side by side.
 */
import { type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import type { JsonObject, JsonValue } from "@tokenplane/apimachinery";
import { fieldPatchMeta, jsonFieldsOf, specialJsonForm } from "../../patch/index.js";
import { definitionName, type Gvk, type OpenApiFlavor, refTo } from "./definition-names.js";
import { apiVersionDescription, fieldDocs, kindDescription, requiredFields } from "./field-docs.js";

/** A definition to publish, and what makes it a top-level kind. */
export interface SchemaRoot {
  /** Definition name (`io.k8s.api.core.v1.ServiceAccount`). */
  name: string;
  desc: DescMessage;
  /** `x-kubernetes-group-version-kind` entries; with them the schema gets apiVersion and kind. */
  gvks?: Gvk[];
}

/**
 * Definitions with a fixed schema (their JSON is not an object of fields): Time, Quantity,
 * IntOrString, RawExtension and the PATCH body `Patch`; undefined for any other name.
 */
export function fixedDefinition(name: string, flavor: OpenApiFlavor): JsonObject | undefined {
  const description = fieldDocs[name]?.[""];
  const withDescription = (s: JsonObject): JsonObject => (description ? { description, ...s } : s);
  switch (name) {
    case "io.k8s.apimachinery.pkg.apis.meta.v1.Time":
      return withDescription({ type: "string", format: "date-time" });
    case "io.k8s.apimachinery.pkg.api.resource.Quantity":
      // kube-openapi: OpenAPISchemaType string (v2), OpenAPIV3OneOfTypes string|number (v3).
      return withDescription(
        flavor === "v3" ? { oneOf: [{ type: "string" }, { type: "number" }] } : { type: "string" },
      );
    case "io.k8s.apimachinery.pkg.util.intstr.IntOrString":
      // kube-openapi: OpenAPISchemaType string + format int-or-string (v2), OpenAPIV3OneOfTypes
      // integer|string (v3, format kept).
      return withDescription(
        flavor === "v3"
          ? { oneOf: [{ type: "integer" }, { type: "string" }], format: "int-or-string" }
          : { type: "string", format: "int-or-string" },
      );
    case "io.k8s.apimachinery.pkg.runtime.RawExtension":
      return withDescription({ type: "object" });
    case "io.k8s.apimachinery.pkg.apis.meta.v1.Patch":
      return withDescription({ type: "object" });
    default:
      return undefined;
  }
}

function scalarSchema(t: ScalarType): JsonObject {
  switch (t) {
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.BYTES:
      return { type: "string", format: "byte" };
    case ScalarType.DOUBLE:
      return { type: "number", format: "double" };
    case ScalarType.FLOAT:
      return { type: "number", format: "float" };
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return { type: "integer", format: "int64" };
    default:
      return { type: "integer", format: "int32" };
  }
}

/** Builds the definitions for the given roots and every message they reach. */
export function buildDefinitions(
  roots: readonly SchemaRoot[],
  flavor: OpenApiFlavor,
): Record<string, JsonObject> {
  const out: Record<string, JsonObject> = {};
  const pending: SchemaRoot[] = [...roots];
  const rootNames = new Set(roots.map((r) => r.name));

  /** A reference to a message's definition (queued for generation), or its inline schema. */
  const messageSchema = (desc: DescMessage): JsonObject => {
    if (specialJsonForm(desc) === "string-array")
      return { type: "array", items: { type: "string", default: "" } };
    const name = definitionName(desc);
    if (!(name in out) && !rootNames.has(name) && !pending.some((p) => p.name === name)) {
      pending.push({ name, desc });
    }
    return { $ref: refTo(name, flavor) };
  };

  const withDescription = (schema: JsonObject, description: string | undefined): JsonObject => {
    if (!description) return schema;
    if (typeof schema.$ref === "string" && flavor === "v3") return { allOf: [schema], description };
    return { ...schema, description };
  };

  const itemSchema = (field: DescField & { fieldKind: "list" }): JsonObject => {
    if (field.listKind === "scalar")
      return { ...scalarSchema(field.scalar), default: scalarDefault(field.scalar) };
    if (field.listKind === "enum") return { type: "integer", format: "int32" };
    const ref = messageSchema(field.message);
    // Kubernetes' v3 documents give struct items `default: {}` through allOf.
    return flavor === "v3" && typeof ref.$ref === "string" ? { allOf: [ref], default: {} } : ref;
  };

  const fieldSchema = (field: DescField, description: string | undefined): JsonObject => {
    let schema: JsonObject;
    switch (field.fieldKind) {
      case "scalar":
        schema = scalarSchema(field.scalar);
        break;
      case "enum":
        schema = { type: "integer", format: "int32" };
        break;
      case "message":
        schema = messageSchema(field.message);
        break;
      case "list": {
        schema = { type: "array", items: itemSchema(field) };
        const meta = fieldPatchMeta(field.parent.typeName, field.jsonName);
        if (meta?.listType) schema["x-kubernetes-list-type"] = meta.listType;
        if (meta?.listMapKeys) schema["x-kubernetes-list-map-keys"] = [...meta.listMapKeys];
        if (meta?.patchMergeKey) schema["x-kubernetes-patch-merge-key"] = meta.patchMergeKey;
        if (meta?.patchStrategy) schema["x-kubernetes-patch-strategy"] = meta.patchStrategy;
        break;
      }
      case "map": {
        const value: JsonObject =
          field.mapKind === "scalar"
            ? { ...scalarSchema(field.scalar), default: scalarDefault(field.scalar) }
            : field.mapKind === "message"
              ? messageSchema(field.message)
              : { type: "integer", format: "int32" };
        schema = { type: "object", additionalProperties: value };
        break;
      }
    }
    return withDescription(schema, description);
  };

  const objectSchema = (root: SchemaRoot): JsonObject => {
    const docs = fieldDocs[root.name] ?? {};
    const props: Record<string, JsonObject> = {};
    for (const [json, f] of jsonFieldsOf(root.desc)) {
      const declaredDocs = fieldDocs[definitionName(f.field.parent)] ?? {};
      props[json] = fieldSchema(f.field, docs[json] ?? declaredDocs[json]);
    }
    if (root.gvks) {
      props.apiVersion = { type: "string", description: apiVersionDescription };
      props.kind = { type: "string", description: kindDescription };
    }
    const properties: Record<string, JsonValue> = {};
    for (const k of Object.keys(props).sort()) properties[k] = props[k] as JsonObject;
    const schema: JsonObject = {};
    if (docs[""]) schema.description = docs[""];
    schema.type = "object";
    schema.properties = properties;
    const required =
      requiredFields[root.name] ?? (root.desc.name.endsWith("List") && root.gvks ? ["items"] : []);
    if (required.length > 0) schema.required = [...required];
    if (root.gvks) schema["x-kubernetes-group-version-kind"] = root.gvks.map((g) => ({ ...g }));
    return schema;
  };

  for (let root = pending.shift(); root; root = pending.shift()) {
    if (root.name in out) continue;
    out[root.name] = fixedDefinition(root.name, flavor) ?? objectSchema(root);
  }
  const sorted: Record<string, JsonObject> = {};
  for (const k of Object.keys(out).sort()) sorted[k] = out[k] as JsonObject;
  return sorted;
}

function scalarDefault(t: ScalarType): JsonValue {
  switch (t) {
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return "";
    case ScalarType.BOOL:
      return false;
    default:
      return 0;
  }
}
