/**
 * The internal gRPC API (tokenplane.v1 ObjectService, TokenService, AuthorizationService,
 * KeySetService): each call becomes an Api call as the caller's certificate identity (CN = user,
 * O = groups, plus `system:authenticated`), so RBAC governs the other components exactly as it
 * governs kubectl. Warnings the operation produced go back in the `warning` trailers.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  metadataOf,
  newBadRequest,
  parseFieldSelector,
  parseLabelSelector,
  type ResourceInfo,
  resourceFor,
  statusToProto,
  unwrap,
  wrap,
} from "@tokenplane/apimachinery";
import type { HandlerContext, ServiceImpl } from "@tokenplane/proto";
import { tokenplanev1 } from "@tokenplane/proto";
import { peer, warningMetadata } from "@tokenplane/runtime";
import type { Api, PatchType } from "../api/api.js";
import type { ListOptions, WatchOptions } from "../registry/registry.js";
import type { RequestContext } from "../request/context.js";

/** The request context of a gRPC call: the caller's certificate identity. */
export function grpcContext(hctx: HandlerContext): RequestContext {
  const p = peer(hctx);
  return {
    user: { username: p.user, uid: "", groups: [...p.groups, "system:authenticated"], extra: {} },
    warnings: [],
    auditAnnotations: {},
    signal: hctx.signal,
  };
}

/** Sends the operation's warnings with the response. */
function finish(hctx: HandlerContext, ctx: RequestContext): void {
  if (ctx.warnings.length) hctx.sendTrailers(warningMetadata(ctx.warnings));
}

function resourceOf(group: string, resource: string): ResourceInfo {
  const info = resourceFor(group, resource);
  if (!info?.objectCase) {
    throw newBadRequest(
      `the server could not find the requested resource (${resource}${group ? `.${group}` : ""})`,
    );
  }
  return info;
}

function selectors(req: {
  labelSelector: string;
  fieldSelector: string;
}): Pick<ListOptions, "labelSelector" | "fieldSelector"> {
  const out: Pick<ListOptions, "labelSelector" | "fieldSelector"> = {};
  if (req.labelSelector) {
    const l = parseLabelSelector(req.labelSelector);
    if ("error" in l) throw newBadRequest(l.error);
    out.labelSelector = l.value;
  }
  if (req.fieldSelector) {
    const f = parseFieldSelector(req.fieldSelector);
    if ("error" in f) throw newBadRequest(f.error);
    out.fieldSelector = f.value;
  }
  return out;
}

const patchTypes = new Set<string>([
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
  "application/apply-patch+yaml",
]);

/** ObjectService over the Api. */
export function objectService(api: Api): ServiceImpl<typeof tokenplanev1.ObjectService> {
  return {
    async get(req, hctx) {
      const ctx = grpcContext(hctx);
      const info = resourceOf(req.group, req.resource);
      const obj = await api.get(ctx, info, req.namespace, req.name, { resourceVersion: req.resourceVersion });
      finish(hctx, ctx);
      return wrap(info, obj);
    },
    async list(req, hctx) {
      const ctx = grpcContext(hctx);
      const info = resourceOf(req.group, req.resource);
      const res = await api.list(ctx, info, req.namespace, {
        ...selectors(req),
        resourceVersion: req.resourceVersion,
        limit: Number(req.limit),
        continue: req.continueToken,
      });
      finish(hctx, ctx);
      return {
        items: res.items.map((o) => wrap(info, o)),
        resourceVersion: res.resourceVersion,
        continueToken: res.continue ?? "",
        ...(res.remainingItemCount !== undefined
          ? { remainingItemCount: BigInt(res.remainingItemCount) }
          : {}),
      };
    },
    async create(req, hctx) {
      const ctx = grpcContext(hctx);
      if (!req.object) throw newBadRequest("object is required");
      const { info, object } = unwrap(req.object);
      const obj = await api.create(ctx, info, metadataOf(object).namespace, object, {
        dryRun: req.dryRun,
        fieldManager: req.fieldManager,
        subresource: req.subresource,
      });
      finish(hctx, ctx);
      return wrap(info, obj);
    },
    async update(req, hctx) {
      const ctx = grpcContext(hctx);
      if (!req.object) throw newBadRequest("object is required");
      const { info, object } = unwrap(req.object);
      const meta = metadataOf(object);
      const { object: obj } = await api.update(ctx, info, meta.namespace, meta.name, object, {
        subresource: req.subresource,
        dryRun: req.dryRun,
        fieldManager: req.fieldManager,
      });
      finish(hctx, ctx);
      return wrap(info, obj);
    },
    async patch(req, hctx) {
      const ctx = grpcContext(hctx);
      const info = resourceOf(req.group, req.resource);
      if (!patchTypes.has(req.patchType)) throw newBadRequest(`unsupported patch type "${req.patchType}"`);
      const res = await api.patch(ctx, info, req.namespace, req.name, req.patchType as PatchType, req.patch, {
        subresource: req.subresource,
        dryRun: req.dryRun,
        fieldManager: req.fieldManager,
        force: req.force,
      });
      finish(hctx, ctx);
      return wrap(info, res.object);
    },
    async delete(req, hctx) {
      const ctx = grpcContext(hctx);
      const info = resourceOf(req.group, req.resource);
      const o = req.options;
      const res = await api.delete(ctx, info, req.namespace, req.name, {
        ...(o?.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: Number(o.gracePeriodSeconds) } : {}),
        ...(o?.preconditions
          ? {
              preconditions: {
                ...(o.preconditions.uid !== undefined ? { uid: o.preconditions.uid } : {}),
                ...(o.preconditions.resourceVersion !== undefined
                  ? { resourceVersion: o.preconditions.resourceVersion }
                  : {}),
              },
            }
          : {}),
        ...(o?.propagationPolicy !== undefined ? { propagationPolicy: o.propagationPolicy } : {}),
        dryRun: (o?.dryRun ?? []).includes("All"),
      });
      finish(hctx, ctx);
      return { object: wrap(info, res.object), finished: res.finished };
    },
    async bind(req, hctx) {
      const ctx = grpcContext(hctx);
      if (!req.binding) throw newBadRequest("binding is required");
      const pod = await api.bind(ctx, req.namespace, req.binding, { dryRun: req.dryRun });
      finish(hctx, ctx);
      return wrap(resourceOf("", "pods"), pod);
    },
    async *watch(req, hctx) {
      const ctx = grpcContext(hctx);
      const info = resourceOf(req.group, req.resource);
      const options: WatchOptions = {
        ...selectors(req),
        resourceVersion: req.resourceVersion,
        allowBookmarks: req.allowWatchBookmarks,
        signal: hctx.signal,
      };
      const events = await api.watch(ctx, info, req.namespace, options);
      const deadline = req.timeoutSeconds > 0n ? Date.now() + Number(req.timeoutSeconds) * 1000 : undefined;
      for await (const ev of events) {
        if (deadline !== undefined && Date.now() > deadline) return;
        const out: MessageInitShape<typeof tokenplanev1.WatchEventSchema> =
          ev.type === "BOOKMARK"
            ? { type: "BOOKMARK", resourceVersion: ev.resourceVersion }
            : ev.type === "ERROR"
              ? { type: "ERROR", status: statusToProto(ev.status) }
              : { type: ev.type, object: wrap(info, ev.object) };
        yield create(tokenplanev1.WatchEventSchema, out);
      }
    },
  };
}

/** TokenService over the Api. */
export function tokenService(api: Api): ServiceImpl<typeof tokenplanev1.TokenService> {
  return {
    async createToken(req, hctx) {
      const ctx = grpcContext(hctx);
      if (!req.tokenRequest) throw newBadRequest("tokenRequest is required");
      const res = await api.createToken(ctx, req.namespace, req.name, req.tokenRequest, {
        dryRun: req.dryRun,
      });
      finish(hctx, ctx);
      return res;
    },
    async createTokenReview(req, hctx) {
      const ctx = grpcContext(hctx);
      const res = await api.createTokenReview(ctx, req);
      finish(hctx, ctx);
      return res;
    },
  };
}

/** AuthorizationService over the Api. */
export function authorizationService(api: Api): ServiceImpl<typeof tokenplanev1.AuthorizationService> {
  return {
    async createSubjectAccessReview(req, hctx) {
      const ctx = grpcContext(hctx);
      const res = await api.createSubjectAccessReview(ctx, req);
      finish(hctx, ctx);
      return res;
    },
  };
}

/** What KeySetService serves: the public keys and issuers, and a generation that changes with them. */
export interface KeySetSource {
  current(): MessageInitShape<typeof tokenplanev1.KeySetSchema>;
}

/**
 * KeySetService: the public verification keys. Readable by whoever may read the JWKS
 * (`get /openid/v1/jwks`, the issuer-discovery role), as the HTTPS endpoint is.
 */
export function keySetService(
  api: Api,
  source: KeySetSource,
): ServiceImpl<typeof tokenplanev1.KeySetService> {
  return {
    async getKeySet(_req, hctx) {
      const ctx = grpcContext(hctx);
      await api.authorizeNonResource(ctx, "get", "/openid/v1/jwks");
      return create(tokenplanev1.KeySetSchema, source.current());
    },
  };
}
