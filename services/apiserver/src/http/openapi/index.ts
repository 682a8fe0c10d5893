/**
 * The OpenAPI documents of the Kubernetes API (`/openapi/v3`, `/openapi/v3/<gv>`, `/openapi/v2`),
 * generated from the resource registry, the protobuf descriptors and the patch-metadata table.
 * Pure and memoized: the HTTP layer serves the returned bodies.
 *
 * | request                                  | function                                  |
 * |------------------------------------------|-------------------------------------------|
 * | `GET /openapi/v3`                        | `openApiV3Index()` (Content-Type application/json) |
 * | `GET /openapi/v3/<gv>?hash=<etag>`       | `openApiV3Response(gv, hash, ifNoneMatch, now)` |
 * | `GET /openapi/v2`                        | `negotiateOpenApiV2(accept)` + `openApiV2Document()` |
 */
export {
  definitionName,
  type Gvk,
  kindDefinitionName,
  type OpenApiFlavor,
  refTo,
} from "./definition-names.js";
export { fieldDocs, requiredFields } from "./field-docs.js";
export {
  buildOpenApiV2Document,
  negotiateOpenApiV2,
  type OpenApiV2Document,
  openApiV2Document,
  openApiV2ProtobufRequestType,
  openApiV2ProtobufType,
} from "./openapi-v2.js";
export {
  buildOpenApiV3Document,
  computeEtag,
  type OpenApiDocument,
  type OpenApiV3Response,
  openApiInfoVersion,
  openApiV3Document,
  openApiV3Index,
  openApiV3Response,
  patchContentTypes,
} from "./openapi-v3.js";
export {
  groupVersionOperations,
  groupVersionPrefix,
  groupVersionRoots,
  type OperationAction,
  type OperationModel,
  openApiGroupVersions,
  operationTag,
  PATCH_DEFINITION,
  type QueryParameter,
} from "./operations.js";
export { buildDefinitions, fixedDefinition, type SchemaRoot } from "./schemas.js";
export { encodeSwaggerProto } from "./swagger-proto.js";
