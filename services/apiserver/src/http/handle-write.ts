/**
 * POST (create) and PUT (update) of stored objects, and POST of `serviceaccounts/<name>/token`:
 * negotiate the body's format (415 otherwise), read it under the size cap (413), decode it into
 * the URL's kind with `fieldValidation` (400 with Kubernetes' texts), call the Api, answer 201 /
 * 200 with the object in the negotiated representation.
 */
import { newBadRequest, objectToJson, type StoredObject, tokenRequestKind } from "@tokenplane/apimachinery";
import { type authnv1, corev1 } from "@tokenplane/proto";
import { type ApiRequest, respond } from "./api-request.js";
import { decodeObject, type ExpectedKind } from "./decode-object.js";
import { newNotAcceptableError, newUnsupportedMediaTypeError } from "./http-status.js";
import {
  type InputFormat,
  inputFormat,
  negotiateOutput,
  type OutputFormat,
  supportedMediaTypes,
} from "./negotiate.js";
import { type OptionsKind, parseWriteQuery, type WriteQuery } from "./query-options.js";
import { readBody } from "./read-body.js";
import type { ResourceTarget } from "./resolve-resource.js";

/** The response format of a write (no Table). */
export function writeFormat(r: ApiRequest): OutputFormat {
  const format = negotiateOutput(r.req.headers.accept, false);
  if (!format) throw newNotAcceptableError(supportedMediaTypes);
  return format;
}

/** What every write does first, in kube-apiserver's order: input format, body, options. */
export async function readWriteRequest(
  r: ApiRequest,
  optionsKind: OptionsKind,
): Promise<{ format: InputFormat; body: Uint8Array; query: WriteQuery; output: OutputFormat }> {
  const format = inputFormat(r.req.headers["content-type"]);
  if (!format) throw newUnsupportedMediaTypeError(supportedMediaTypes);
  const body = await readBody(r.req, r.res, r.deps.maxRequestBytes);
  const query = parseWriteQuery(r.url.searchParams, optionsKind);
  r.metrics.dryRun = query.dryRun;
  const output = writeFormat(r);
  return { format, body, query, output };
}

/** POST of a stored kind. */
export async function handleCreate(r: ApiRequest, t: ResourceTarget): Promise<void> {
  if (t.subresource === "token") return handleTokenRequest(r, t);
  if (t.subresource === "binding") return handleBinding(r, t);
  const { format, body, query, output } = await readWriteRequest(r, "CreateOptions");
  const decoded = decodeObject<StoredObject>(body, format, t.resource, query.fieldValidation);
  r.ctx.warnings.push(...decoded.warnings);
  const created = await r.deps.api.create(r.ctx, t.resource, t.namespace, decoded.object, {
    dryRun: query.dryRun,
    ...(query.fieldManager !== undefined ? { fieldManager: query.fieldManager } : {}),
  });
  respond(r, 201, objectToJson(t.resource, created), output);
}

/** PUT of a stored kind or of one of its subresources (status, finalize, ephemeralcontainers). */
export async function handleUpdate(r: ApiRequest, t: ResourceTarget): Promise<void> {
  const { format, body, query, output } = await readWriteRequest(r, "UpdateOptions");
  const decoded = decodeObject<StoredObject>(body, format, t.resource, query.fieldValidation);
  r.ctx.warnings.push(...decoded.warnings);
  const { object, created } = await r.deps.api.update(
    r.ctx,
    t.resource,
    t.namespace,
    t.name,
    decoded.object,
    {
      dryRun: query.dryRun,
      ...(query.fieldManager !== undefined ? { fieldManager: query.fieldManager } : {}),
      ...(t.subresource !== "" ? { subresource: t.subresource } : {}),
    },
  );
  // A PUT that created the object (create-on-update kinds) is 201, as Kubernetes answers.
  respond(r, created ? 201 : 200, objectToJson(t.resource, object), output);
}

const tokenRequest: ExpectedKind = tokenRequestKind;

/** POST `serviceaccounts/<name>/token` (reference §2): 201 with the TokenRequest and its token. */
async function handleTokenRequest(r: ApiRequest, t: ResourceTarget): Promise<void> {
  const { format, body, query, output } = await readWriteRequest(r, "CreateOptions");
  const decoded = decodeObject<authnv1.TokenRequest>(body, format, tokenRequest, query.fieldValidation);
  r.ctx.warnings.push(...decoded.warnings);
  const result = await r.deps.api.createToken(r.ctx, t.namespace, t.name, decoded.object, {
    dryRun: query.dryRun,
  });
  respond(r, 201, objectToJson(tokenRequestKind, result), output);
}

const binding: ExpectedKind = { group: "", version: "v1", kind: "Binding", schema: corev1.BindingSchema };

/**
 * POST `pods/<name>/binding` (what a scheduler does): 201 with a `Success` Status, as
 * BindingREST answers; the body's name must be the URL's.
 */
async function handleBinding(r: ApiRequest, t: ResourceTarget): Promise<void> {
  const { format, body, query, output } = await readWriteRequest(r, "CreateOptions");
  const decoded = decodeObject<corev1.Binding>(body, format, binding, query.fieldValidation);
  r.ctx.warnings.push(...decoded.warnings);
  if ((decoded.object.metadata?.name ?? "") !== t.name) {
    throw newBadRequest("name in URL does not match name in Binding object");
  }
  await r.deps.api.bind(r.ctx, t.namespace, decoded.object, { dryRun: query.dryRun });
  respond(r, 201, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 }, output);
}
