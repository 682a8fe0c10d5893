/**
 * The Swagger 2.0 document in protobuf, as gnostic's `openapi.v2.Document`
 * (github.com/google/gnostic-models openapiv2/OpenAPIv2.proto) — the only form of `/openapi/v2`
 * kubectl parses. Encodes the subset this server's documents use: info, paths with their
 * operations, parameters, responses and vendor extensions, and definitions. Vendor extension
 * values travel as YAML text (`Any.yaml`), which kube-openapi decodes.
 *
 * Field numbers are gnostic's; an unexpected key throws TypeError so a new schema feature cannot be
 * dropped silently.
 */

import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import type { JsonObject, JsonValue } from "@tokenplane/apimachinery";
import { stringify } from "yaml";

type W = BinaryWriter;

function str(w: W, field: number, v: string | undefined): void {
  if (v !== undefined && v !== "") w.tag(field, WireType.LengthDelimited).string(v);
}

function bool(w: W, field: number, v: boolean | undefined): void {
  if (v) w.tag(field, WireType.Varint).bool(true);
}

function msg(w: W, field: number, body: (w: W) => void): void {
  w.tag(field, WireType.LengthDelimited).fork();
  body(w);
  w.join();
}

function asObject(v: JsonValue | undefined, what: string): JsonObject {
  if (v === null || v === undefined || typeof v !== "object" || Array.isArray(v)) {
    throw new TypeError(`swagger proto: ${what} is not an object`);
  }
  return v;
}

/** `NamedAny` vendor extensions (`x-...` keys), values as YAML. */
function vendorExtensions(w: W, field: number, o: JsonObject): void {
  for (const [k, v] of Object.entries(o)) {
    if (!k.startsWith("x-")) continue;
    msg(w, field, (n) => {
      str(n, 1, k);
      msg(n, 2, (a) => str(a, 2, stringify(v)));
    });
  }
}

const schemaKeys = new Set([
  "$ref",
  "format",
  "description",
  "default",
  "uniqueItems",
  "required",
  "additionalProperties",
  "type",
  "items",
  "allOf",
  "properties",
]);

/** openapi.v2.Schema. `default` is not encoded (kubectl does not read it). */
function schema(w: W, s: JsonObject): void {
  for (const k of Object.keys(s)) {
    if (!schemaKeys.has(k) && !k.startsWith("x-"))
      throw new TypeError(`swagger proto: schema key ${k} not supported`);
  }
  str(w, 1, s.$ref as string | undefined);
  str(w, 2, s.format as string | undefined);
  str(w, 4, s.description as string | undefined);
  bool(w, 16, s.uniqueItems as boolean | undefined);
  for (const r of (s.required as string[] | undefined) ?? []) str(w, 19, r);
  if (s.additionalProperties !== undefined) {
    const ap = s.additionalProperties;
    msg(w, 21, (a) => {
      if (typeof ap === "boolean") a.tag(2, WireType.Varint).bool(ap);
      else msg(a, 1, (x) => schema(x, asObject(ap, "additionalProperties")));
    });
  }
  if (s.type !== undefined) msg(w, 22, (t) => str(t, 1, s.type as string));
  if (s.items !== undefined) msg(w, 23, (i) => msg(i, 1, (x) => schema(x, asObject(s.items, "items"))));
  for (const a of (s.allOf as JsonValue[] | undefined) ?? [])
    msg(w, 24, (x) => schema(x, asObject(a, "allOf")));
  if (s.properties !== undefined) {
    msg(w, 25, (p) => {
      for (const [name, v] of Object.entries(asObject(s.properties, "properties"))) {
        msg(p, 1, (n) => {
          str(n, 1, name);
          msg(n, 2, (x) => schema(x, asObject(v, name)));
        });
      }
    });
  }
  vendorExtensions(w, 31, s);
}

/** openapi.v2.ParametersItem → Parameter → body or non-body (query / path) parameter. */
function parameter(w: W, p: JsonObject): void {
  msg(w, 1, (param) => {
    if (p.in === "body") {
      msg(param, 1, (b) => {
        str(b, 1, p.description as string | undefined);
        str(b, 2, p.name as string);
        str(b, 3, "body");
        bool(b, 4, p.required as boolean | undefined);
        msg(b, 5, (x) => schema(x, asObject(p.schema, "body schema")));
      });
      return;
    }
    msg(param, 2, (nb) => {
      // QueryParameterSubSchema = 3 (type 6, unique_items 20), PathParameterSubSchema = 4 (type 5, unique_items 19).
      const query = p.in === "query";
      msg(nb, query ? 3 : 4, (s) => {
        bool(s, 1, p.required as boolean | undefined);
        str(s, 2, p.in as string);
        str(s, 3, p.description as string | undefined);
        str(s, 4, p.name as string);
        str(s, query ? 6 : 5, p.type as string);
        bool(s, query ? 20 : 19, p.uniqueItems as boolean | undefined);
      });
    });
  });
}

/** openapi.v2.Operation. */
function operation(w: W, op: JsonObject): void {
  for (const t of (op.tags as string[] | undefined) ?? []) str(w, 1, t);
  str(w, 3, op.description as string | undefined);
  str(w, 5, op.operationId as string | undefined);
  for (const p of (op.produces as string[] | undefined) ?? []) str(w, 6, p);
  for (const c of (op.consumes as string[] | undefined) ?? []) str(w, 7, c);
  for (const p of (op.parameters as JsonValue[] | undefined) ?? [])
    msg(w, 8, (x) => parameter(x, asObject(p, "parameter")));
  msg(w, 9, (rs) => {
    for (const [code, r] of Object.entries(asObject(op.responses, "responses"))) {
      const resp = asObject(r, code);
      msg(rs, 1, (named) => {
        str(named, 1, code);
        msg(named, 2, (rv) =>
          msg(rv, 1, (x) => {
            str(x, 1, resp.description as string | undefined);
            if (resp.schema !== undefined)
              msg(x, 2, (si) => msg(si, 1, (s) => schema(s, asObject(resp.schema, "schema"))));
          }),
        );
      });
    }
  });
  for (const s of (op.schemes as string[] | undefined) ?? []) str(w, 10, s);
  vendorExtensions(w, 13, op);
}

const methodFields: Readonly<Record<string, number>> = { get: 2, put: 3, post: 4, delete: 5, patch: 8 };

/** Encodes a Swagger 2.0 document (as `buildOpenApiV2Document` writes it) as gnostic protobuf. */
export function encodeSwaggerProto(doc: JsonObject): Uint8Array {
  const w = new BinaryWriter();
  str(w, 1, doc.swagger as string);
  const info = asObject(doc.info, "info");
  msg(w, 2, (i) => {
    str(i, 1, info.title as string);
    str(i, 2, info.version as string);
  });
  msg(w, 8, (paths) => {
    for (const [path, item] of Object.entries(asObject(doc.paths, "paths"))) {
      const pi = asObject(item, path);
      msg(paths, 2, (named) => {
        str(named, 1, path);
        msg(named, 2, (x) => {
          for (const [method, f] of Object.entries(methodFields)) {
            if (pi[method] !== undefined) msg(x, f, (o) => operation(o, asObject(pi[method], method)));
          }
          for (const p of (pi.parameters as JsonValue[] | undefined) ?? []) {
            msg(x, 9, (pw) => parameter(pw, asObject(p, "parameter")));
          }
        });
      });
    }
  });
  msg(w, 9, (defs) => {
    for (const [name, s] of Object.entries(asObject(doc.definitions, "definitions"))) {
      msg(defs, 1, (named) => {
        str(named, 1, name);
        msg(named, 2, (x) => schema(x, asObject(s, name)));
      });
    }
  });
  return w.finish();
}
