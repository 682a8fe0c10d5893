/**
 * The schema a strategic merge patch walks (Kubernetes' `LookupPatchMeta`): for an object, the
 * type and patch markers of each JSON key, built from the protobuf descriptors and the one
 * markers table (`patch-meta.ts`).
 */
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { jsonFieldsOf, specialJsonForm } from "./json-fields.js";
import { type FieldPatchMeta, fieldPatchMeta } from "./patch-meta.js";

/** What a JSON value at some place in an object is. */
export type SchemaNode =
  | { kind: "object"; desc: DescMessage }
  | { kind: "map"; value: SchemaNode }
  | { kind: "array"; items: SchemaNode }
  | { kind: "scalar" }
  /** Free-form JSON (`RawExtension`). */
  | { kind: "any" };

/** The node for a message's JSON form. */
export function messageNode(desc: DescMessage): SchemaNode {
  switch (specialJsonForm(desc)) {
    case "time":
    case "quantity":
    case "int-or-string":
      return { kind: "scalar" };
    case "string-array":
      return { kind: "array", items: { kind: "scalar" } };
    case "raw":
      return { kind: "any" };
    default:
      return { kind: "object", desc };
  }
}

/** The node for a field's JSON value. */
export function fieldNode(field: DescField): SchemaNode {
  switch (field.fieldKind) {
    case "scalar":
    case "enum":
      return { kind: "scalar" };
    case "message":
      return messageNode(field.message);
    case "list":
      return {
        kind: "array",
        items: field.listKind === "message" ? messageNode(field.message) : { kind: "scalar" },
      };
    case "map":
      return {
        kind: "map",
        value: field.mapKind === "message" ? messageNode(field.message) : { kind: "scalar" },
      };
  }
}

/** A looked-up key: its node and, for a declared field, its patch markers. */
export interface Lookup {
  node: SchemaNode;
  meta: FieldPatchMeta | undefined;
}

/** Thrown when a key is not a field of the object (Kubernetes' `LookupPatchMetadata` error). */
export class UnknownFieldError extends Error {}

/** The node and markers of `key` in `node`; a map's keys all have its value node. */
export function lookupKey(node: SchemaNode, key: string): Lookup {
  switch (node.kind) {
    case "object": {
      const f = jsonFieldsOf(node.desc).get(key);
      if (!f) {
        throw new UnknownFieldError(
          `unable to find api field in struct ${node.desc.name} for the json field "${key}"`,
        );
      }
      return { node: fieldNode(f.field), meta: fieldPatchMeta(f.field.parent.typeName, key) };
    }
    case "map":
      return { node: node.value, meta: undefined };
    case "any":
      return { node: { kind: "any" }, meta: undefined };
    default:
      throw new UnknownFieldError(`unable to find api field "${key}" in a value that is not an object`);
  }
}

/** The element node of an array node (an `any` stays `any`). */
export function itemsOf(node: SchemaNode): SchemaNode {
  if (node.kind === "array") return node.items;
  return { kind: "any" };
}

/** A short name of the node's type for error texts (`cannot merge lists without merge key for ...`). */
export function nodeName(node: SchemaNode): string {
  return node.kind === "object" ? node.desc.name : node.kind;
}
