/**
 * PATCH in the four formats (JSON patch, merge patch, strategic merge patch, server-side apply):
 * the Content-Type picks the format (415 `... accepted media types include:
 * application/json-patch+json, ...` otherwise); the Api applies it; 200, or 201 when server-side
 * apply created the object. `fieldValidation` is checked on the patch document: fields a merge or
 * strategic patch (or an apply configuration) sets that the kind does not have are 400 under
 * Strict (`strict decoding error: unknown field "spec.foo"`) and warnings under Warn.
 */
import {
  type FieldError,
  fieldError,
  fromK8sJson,
  type JsonValue,
  newBadRequest,
  newInvalid,
  objectToJson,
  type ResourceInfo,
} from "@tokenplane/apimachinery";
import { parse as parseYaml } from "yaml";
import type { PatchType } from "../api/api.js";
import { type ApiRequest, respond } from "./api-request.js";
import { applyFieldValidation } from "./decode-object.js";
import { goJsonSyntaxError } from "./go-json-syntax.js";
import { writeFormat } from "./handle-write.js";
import { newUnsupportedMediaTypeError } from "./http-status.js";
import { mediaTypeOf, patchMediaTypes } from "./negotiate.js";
import { parseWriteQuery } from "./query-options.js";
import { readBody } from "./read-body.js";
import type { ResourceTarget } from "./resolve-resource.js";

/** Drops strategic-merge directives (`$patch`, `$retainKeys`, `$setElementOrder/...`, ...) from a patch. */
export function withoutDirectives(value: JsonValue): JsonValue {
  if (Array.isArray(value)) {
    return value
      .filter((x) => !(x !== null && typeof x === "object" && !Array.isArray(x) && x.$patch === "delete"))
      .map(withoutDirectives);
  }
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith("$")) continue;
    out[k] = withoutDirectives(v);
  }
  return out;
}

/** Paths of fields a patch document sets that the kind does not have ([] when it cannot tell). */
export function unknownPatchFields(info: Pick<ResourceInfo, "schema">, patch: JsonValue): string[] {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return [];
  const r = fromK8sJson(info.schema, withoutDirectives(patch));
  return "error" in r ? [] : r.unknownFields;
}

/** `<group>/<version>, Kind=<kind>` as Go prints a GroupVersionKind. */
function gvkString(info: ResourceInfo): string {
  return `${info.group}/${info.version}, Kind=${info.kind}`;
}

/** Parses the patch document for the field check (undefined when it is not JSON/YAML; the Api reports that). */
function patchDocument(body: Uint8Array, patchType: PatchType): JsonValue | undefined {
  if (patchType === "application/apply-patch+yaml") {
    try {
      return parseYaml(Buffer.from(body).toString("utf8"), { version: "1.1" }) as JsonValue;
    } catch {
      return undefined;
    }
  }
  if (goJsonSyntaxError(body) !== undefined) return undefined;
  return JSON.parse(Buffer.from(body).toString("utf8")) as JsonValue;
}

/** PATCH of an object or of a subresource. */
export async function handlePatch(r: ApiRequest, t: ResourceTarget): Promise<void> {
  const mt = mediaTypeOf(r.req.headers["content-type"]);
  if (!(patchMediaTypes as readonly string[]).includes(mt))
    throw newUnsupportedMediaTypeError(patchMediaTypes);
  const patchType = mt as PatchType;
  const isApply = patchType === "application/apply-patch+yaml";
  r.metrics.isApply = isApply;
  const body = await readBody(r.req, r.res, r.deps.maxRequestBytes);
  const query = parseWriteQuery(r.url.searchParams, "PatchOptions");
  r.metrics.dryRun = query.dryRun;
  const errs: FieldError[] = [];
  if (!isApply && r.url.searchParams.has("force")) {
    errs.push(fieldError.forbidden("force", "may not be specified for non-apply patch"));
  }
  if (isApply && !query.fieldManager)
    errs.push(fieldError.required("fieldManager", "is required for apply patch"));
  if (errs.length > 0) throw newInvalid({ group: "meta.k8s.io", kind: "PatchOptions" }, "", errs);
  const output = writeFormat(r);

  if (patchType !== "application/json-patch+json") {
    const doc = patchDocument(body, patchType);
    const unknown = doc === undefined ? [] : unknownPatchFields(t.resource, doc);
    const warnings = applyFieldValidation(unknown, query.fieldValidation, (message) =>
      isApply
        ? newBadRequest(
            `failed to create typed patch object (${gvkString(t.resource)}): ${unknown.map((f) => `.${f}: field not declared in schema`).join(", ")}`,
          )
        : newBadRequest(message),
    );
    r.ctx.warnings.push(...warnings);
  }

  const result = await r.deps.api.patch(r.ctx, t.resource, t.namespace, t.name, patchType, body, {
    dryRun: query.dryRun,
    ...(query.fieldManager !== undefined ? { fieldManager: query.fieldManager } : {}),
    ...(t.subresource !== "" ? { subresource: t.subresource } : {}),
    ...(isApply ? { force: query.force } : {}),
  });
  respond(r, result.created ? 201 : 200, objectToJson(t.resource, result.object), output);
}
