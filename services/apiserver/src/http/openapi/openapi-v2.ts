/**
 * OpenAPI v2 (Swagger 2.0): `GET /openapi/v2`, one document for every group-version, from the
 * same schema generator and operation model as v3. kubectl uses it for client-side schema
 * validation when server-side validation is not available for a kind (create-only kinds such as
 * TokenReview, `kind: List`), `explain --output plaintext-openapiv2`, and as the fallback of its
 * OpenAPI v3 reads.
 *
 * kubectl asks for it as protobuf (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`,
 * gnostic's OpenAPIv2.proto) and parses nothing else; client libraries read the JSON.
 * `negotiateOpenApiV2` picks the form; `openApiV2Document` has both.
 */
import type { JsonObject } from "@tokenplane/apimachinery";
import { acceptsPlainJson, parseAccept } from "../discovery/index.js";
import { refTo } from "./definition-names.js";
import {
  computeEtag,
  openApiInfoVersion,
  patchContentTypes,
  pathItems,
  responseDescription,
  securitySchemes,
} from "./openapi-v3.js";
import {
  groupVersionOperations,
  groupVersionRoots,
  type OperationModel,
  openApiGroupVersions,
  PATCH_DEFINITION,
  type QueryParameter,
} from "./operations.js";
import { buildDefinitions, fixedDefinition, type SchemaRoot } from "./schemas.js";
import { encodeSwaggerProto } from "./swagger-proto.js";

/** The protobuf media type kubectl requests (`@` is not a token character: never sent back). */
export const openApiV2ProtobufRequestType = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
/** The Content-Type kube-openapi answers protobuf with (Go's mime parser rejects the `@` form). */
export const openApiV2ProtobufType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

function paramV2(p: QueryParameter): JsonObject {
  return { uniqueItems: true, type: p.type, description: p.description, name: p.name, in: "query" };
}

function pathParamV2(name: "namespace" | "name", kind: string): JsonObject {
  return {
    uniqueItems: true,
    type: "string",
    description:
      name === "namespace"
        ? "object name and auth scope, such as for teams and projects"
        : `name of the ${kind}`,
    name,
    in: "path",
    required: true,
  };
}

const prettyV2: JsonObject = {
  uniqueItems: true,
  type: "string",
  description:
    "If 'true', then the output is pretty printed. Defaults to 'false' unless the user agent indicates a browser or command-line HTTP tool (curl and wget).",
  name: "pretty",
  in: "query",
};

function operationV2(op: OperationModel): JsonObject {
  const parameters: JsonObject[] = [];
  if (op.body) {
    const body: JsonObject = { name: "body", in: "body", schema: { $ref: refTo(op.body.definition, "v2") } };
    if (op.body.required) body.required = true;
    parameters.push(body);
  }
  parameters.push(...op.queryParams.map(paramV2));
  const responses: JsonObject = {};
  for (const r of op.responses) {
    responses[r.code] = {
      description: responseDescription(r.code),
      schema: { $ref: refTo(r.definition, "v2") },
    };
  }
  responses["401"] = { description: "Unauthorized" };
  const out: JsonObject = {
    description: op.description,
    consumes: op.body?.patch ? [...patchContentTypes] : ["*/*"],
    produces: op.watchable ? ["application/json", "application/json;stream=watch"] : ["application/json"],
    schemes: ["https"],
    tags: [op.tag],
    operationId: op.operationId,
  };
  if (parameters.length > 0) out.parameters = parameters;
  out.responses = responses;
  out["x-kubernetes-action"] = op.action;
  out["x-kubernetes-group-version-kind"] = { ...op.gvk };
  return out;
}

/** The Swagger 2.0 document as a JSON object. */
export function buildOpenApiV2Document(): JsonObject {
  const roots: SchemaRoot[] = [];
  const ops: OperationModel[] = [];
  for (const gv of openApiGroupVersions()) {
    for (const r of groupVersionRoots(gv.group, gv.version)) {
      const seen = roots.find((x) => x.name === r.name);
      if (!seen) roots.push(r);
    }
    ops.push(...groupVersionOperations(gv.group, gv.version));
  }
  const definitions = buildDefinitions(roots, "v2");
  definitions[PATCH_DEFINITION] = fixedDefinition(PATCH_DEFINITION, "v2") ?? {};
  const sorted: JsonObject = {};
  for (const k of Object.keys(definitions).sort()) sorted[k] = definitions[k] as JsonObject;
  return {
    swagger: "2.0",
    info: { title: "Kubernetes", version: openApiInfoVersion },
    paths: pathItems(ops, operationV2, pathParamV2, prettyV2),
    definitions: sorted,
    securityDefinitions: securitySchemes("v2"),
    security: [{ BearerToken: [] }],
  };
}

/** The v2 document in both encodings. */
export interface OpenApiV2Document {
  json: string;
  protobuf: Uint8Array;
  /** ETag of the JSON body (kube-openapi's SHA-512, upper-case hex). */
  etag: string;
}

let cached: OpenApiV2Document | undefined;

/** `GET /openapi/v2`, built once per process. */
export function openApiV2Document(): OpenApiV2Document {
  if (!cached) {
    const doc = buildOpenApiV2Document();
    const json = JSON.stringify(doc);
    cached = { json, protobuf: encodeSwaggerProto(doc), etag: computeEtag(json) };
  }
  return cached;
}

/** Which encoding the Accept header wants, with its Content-Type; undefined → 406. */
export function negotiateOpenApiV2(
  acceptHeader: string | undefined,
): { form: "json"; contentType: "application/json" } | { form: "protobuf"; contentType: string } | undefined {
  for (const r of parseAccept(acceptHeader)) {
    const mt = `${r.type}/${r.subtype}`;
    if (mt === openApiV2ProtobufRequestType || mt === openApiV2ProtobufType) {
      return { form: "protobuf", contentType: openApiV2ProtobufType };
    }
    if (acceptsPlainJson(r)) return { form: "json", contentType: "application/json" };
  }
  return undefined;
}
