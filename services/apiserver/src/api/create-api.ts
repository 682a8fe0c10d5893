/**
 * The Api implementation: authorize (RBAC, Kubernetes' 403 texts), then run the operation on the
 * registry, the token logic or the access reviews. Both transports call this; there is no other
 * path to the store, so nothing escapes authorization.
 */
import { clone, create, type DescMessage } from "@bufbuild/protobuf";
import {
  fieldError,
  fromK8sJson,
  isNotFound,
  type JsonObject,
  type JsonValue,
  newBadRequest,
  newConflict,
  newInvalid,
  type ResourceInfo,
  resourceFor,
  type StoredObject,
  timeFromMs,
  toK8sJson,
} from "@tokenplane/apimachinery";
import { type authnv1, type authzv1, corev1 } from "@tokenplane/proto";
import type { AccessReviews, Attributes, Authorizer, EscalationCheck } from "../authz/index.js";
import { forbiddenError, isAllowed } from "../authz/index.js";
import {
  applyJsonPatch,
  applyMergePatch,
  applyServerSide,
  applyStrategicMergePatch,
  parseApplyPatch,
} from "../patch/index.js";
import type { Registry } from "../registry/registry.js";
import type { RequestContext } from "../request/context.js";
import type { Api, PatchType } from "./api.js";

/** What the Api is built from. */
export interface ApiDependencies {
  registry: Registry;
  authorizer: Authorizer;
  escalation: EscalationCheck;
  accessReviews: AccessReviews;
  tokens: {
    createToken(
      ctx: RequestContext,
      namespace: string,
      name: string,
      request: authnv1.TokenRequest,
      options: { dryRun?: boolean },
    ): Promise<authnv1.TokenRequest>;
  };
  tokenReviews: {
    createTokenReview(ctx: RequestContext, review: authnv1.TokenReview): Promise<authnv1.TokenReview>;
  };
  selfSubjectReviews: {
    createSelfSubjectReview(
      ctx: RequestContext,
      review: authnv1.SelfSubjectReview,
    ): authnv1.SelfSubjectReview;
  };
  openIdMetadata: () => { configuration: string; jwks: string } | undefined;
}

const authenticationGroup = "authentication.k8s.io";
const authorizationGroup = "authorization.k8s.io";

function resourceAttributes(
  ctx: RequestContext,
  verb: string,
  group: string,
  resource: string,
  namespace: string,
  name: string,
  subresource = "",
): Attributes {
  return {
    user: ctx.user,
    verb,
    resourceRequest: true,
    apiGroup: group,
    apiVersion: "v1",
    resource,
    subresource,
    namespace,
    name,
    path: "",
  };
}

const bodyNotObject = (what: string) => newBadRequest(`the body of the ${what} is not a JSON object`);

/** Builds the Api. */
export function createApi(deps: ApiDependencies): Api {
  const { registry, authorizer } = deps;

  async function authorize(attrs: Attributes): Promise<void> {
    const result = await authorizer.authorize(attrs);
    if (!isAllowed(result)) throw forbiddenError(attrs, result.reason);
  }

  const authorizeResource = (
    ctx: RequestContext,
    verb: string,
    info: ResourceInfo,
    namespace: string,
    name: string,
    subresource = "",
  ) => authorize(resourceAttributes(ctx, verb, info.group, info.resource, namespace, name, subresource));

  const isRbac = (info: ResourceInfo) => info.group === "rbac.authorization.k8s.io";

  /** Decodes the patched JSON back into the kind's message (400 naming the field on a type error). */
  function decodePatched(info: ResourceInfo, json: JsonValue, name: string): StoredObject {
    if (json === null || typeof json !== "object" || Array.isArray(json)) throw bodyNotObject("patch result");
    const r = fromK8sJson(info.schema, json);
    if ("error" in r) throw newBadRequest(`the patched ${info.kind} "${name}" cannot be decoded: ${r.error}`);
    return r.value as StoredObject;
  }

  function patched(
    info: ResourceInfo,
    current: StoredObject,
    patchType: PatchType,
    body: Uint8Array,
  ): StoredObject {
    const name = current.metadata?.name ?? "";
    const doc = toK8sJson(info.schema, current) as JsonObject;
    let result: JsonValue;
    if (patchType === "application/apply-patch+yaml") {
      result = applyServerSide(doc, parseApplyPatch(body), info.schema as DescMessage).object;
    } else {
      let patch: JsonValue;
      try {
        patch = JSON.parse(Buffer.from(body).toString("utf8")) as JsonValue;
      } catch (err) {
        throw newBadRequest(`error decoding patch: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (patchType === "application/json-patch+json") result = applyJsonPatch(doc, patch);
      else if (patchType === "application/merge-patch+json") result = applyMergePatch(doc, patch);
      else result = applyStrategicMergePatch(doc, patch, info.schema as DescMessage);
    }
    // A patch that renames or moves the object fails the registry's immutable-field checks.
    return decodePatched(info, result, name);
  }

  return {
    async get(ctx, info, namespace, name, options = {}) {
      // RBAC grants `pods/status` separately from `pods` (Kubernetes' RequestInfo carries the subresource).
      const { subresource = "", ...getOptions } = options;
      await authorizeResource(ctx, "get", info, namespace, name, subresource);
      return registry.get(info, namespace, name, getOptions);
    },

    async list(ctx, info, namespace, options) {
      await authorizeResource(ctx, "list", info, namespace, "");
      return registry.list(info, namespace, options);
    },

    async watch(ctx, info, namespace, options) {
      await authorizeResource(ctx, "watch", info, namespace, "");
      return registry.watch(info, namespace, options);
    },

    async create(ctx, info, namespace, object, options = {}) {
      const name = object.metadata?.name ?? "";
      // A create is authorized as its URL names it: a collection, so no name (a subresource's
      // URL names its object). As in kube-apiserver, resourceNames never grant a create and the
      // 403 names no object.
      const subresource = options.subresource ?? "";
      await authorizeResource(ctx, "create", info, namespace, subresource ? name : "", subresource);
      if (isRbac(info)) {
        await deps.escalation.check({ operation: "CREATE", info, namespace, name, object, user: ctx.user });
      }
      return registry.create(ctx, info, namespace, object, options);
    },

    async update(ctx, info, namespace, name, object, options = {}) {
      await authorizeResource(ctx, "update", info, namespace, name, options.subresource ?? "");
      if (isRbac(info)) {
        const oldObject = await registry.get(info, namespace, name).catch((err: unknown) => {
          if (isNotFound(err)) return undefined;
          throw err;
        });
        await deps.escalation.check({
          operation: oldObject ? "UPDATE" : "CREATE",
          info,
          namespace,
          name,
          object,
          ...(oldObject ? { oldObject } : {}),
          user: ctx.user,
        });
      }
      return registry.replace(ctx, info, namespace, name, object, options);
    },

    async patch(ctx, info, namespace, name, patchType, body, options = {}) {
      await authorizeResource(ctx, "patch", info, namespace, name, options.subresource ?? "");
      if (patchType === "application/apply-patch+yaml") {
        // Server-side apply creates the object when it is missing (kubectl apply --server-side).
        const existing = await registry.get(info, namespace, name).catch((err: unknown) => {
          if (isNotFound(err)) return undefined;
          throw err;
        });
        if (!existing) {
          await authorizeResource(ctx, "create", info, namespace, name);
          const applied = parseApplyPatch(body);
          const obj = decodePatched(
            info,
            applyServerSide(undefined, applied, info.schema as DescMessage).object,
            name,
          );
          const meta = obj.metadata;
          if (meta?.name && meta.name !== name) {
            throw newBadRequest(
              `the name of the object (${meta.name}) does not match the name on the URL (${name})`,
            );
          }
          if (isRbac(info)) {
            await deps.escalation.check({
              operation: "CREATE",
              info,
              namespace,
              name,
              object: obj,
              user: ctx.user,
            });
          }
          const created = await registry.create(ctx, info, namespace, obj, options);
          return { object: created, created: true };
        }
      }
      const object = await registry.guaranteedUpdate(
        ctx,
        info,
        namespace,
        name,
        async (current) => {
          const next = patched(info, current, patchType, body);
          if (isRbac(info)) {
            await deps.escalation.check({
              operation: "UPDATE",
              info,
              namespace,
              name,
              object: next,
              oldObject: current,
              user: ctx.user,
            });
          }
          return next;
        },
        options,
      );
      return { object, created: false };
    },

    async delete(ctx, info, namespace, name, options) {
      await authorizeResource(ctx, "delete", info, namespace, name);
      return registry.delete(ctx, info, namespace, name, options);
    },

    async deleteCollection(ctx, info, namespace, listOptions, options) {
      await authorizeResource(ctx, "deletecollection", info, namespace, "");
      return registry.deleteCollection(ctx, info, namespace, listOptions, options);
    },

    async bind(ctx, namespace, binding, options = {}) {
      const name = binding.metadata?.name ?? "";
      await authorize(resourceAttributes(ctx, "create", "", "pods", namespace, name, "binding"));
      const target = binding.target;
      const errs = [];
      if (!name) errs.push(fieldError.required("metadata.name"));
      if (!target?.name) errs.push(fieldError.required("target.name"));
      if (target?.kind && target.kind !== "Node") {
        errs.push(fieldError.notSupported("target.kind", target.kind, ["Node"]));
      }
      if (errs.length) throw newInvalid({ group: "", kind: "Binding" }, name, errs);
      const pods = resourceFor("", "pods")!;
      const bindingResource = { group: "", resource: "pods/binding" };
      const bound = await registry.guaranteedUpdate(
        ctx,
        pods,
        namespace,
        name,
        (current) => {
          const pod = clone(corev1.PodSchema, current as corev1.Pod);
          // BindingREST.assignPod (pkg/registry/core/pod/storage): texts as Kubernetes words them.
          if (pod.metadata?.deletionTimestamp) {
            throw newConflict(
              bindingResource,
              name,
              `pod ${name} is being deleted, cannot be assigned to a host`,
            );
          }
          if (pod.spec?.nodeName) {
            throw newConflict(
              bindingResource,
              name,
              `pod ${name} is already assigned to node "${pod.spec.nodeName}"`,
            );
          }
          pod.spec ??= create(corev1.PodSpecSchema);
          pod.spec.nodeName = target!.name;
          pod.status ??= create(corev1.PodStatusSchema);
          const scheduled = create(corev1.PodConditionSchema, {
            type: "PodScheduled",
            status: "True",
            lastTransitionTime: timeFromMs(Date.now()),
          });
          pod.status.conditions = [
            ...pod.status.conditions.filter((c) => c.type !== "PodScheduled"),
            scheduled,
          ];
          return pod;
        },
        { subresource: "binding", ...(options.dryRun ? { dryRun: true } : {}) },
      );
      return bound as corev1.Pod;
    },

    async createToken(ctx, namespace, name, request, options = {}) {
      await authorize(resourceAttributes(ctx, "create", "", "serviceaccounts", namespace, name, "token"));
      return deps.tokens.createToken(ctx, namespace, name, request, options);
    },

    async createTokenReview(ctx, review) {
      await authorize(resourceAttributes(ctx, "create", authenticationGroup, "tokenreviews", "", ""));
      return deps.tokenReviews.createTokenReview(ctx, review);
    },

    async createSelfSubjectReview(ctx, review) {
      await authorize(resourceAttributes(ctx, "create", authenticationGroup, "selfsubjectreviews", "", ""));
      return deps.selfSubjectReviews.createSelfSubjectReview(ctx, review);
    },

    async createSubjectAccessReview(ctx, review: authzv1.SubjectAccessReview, namespace?: string) {
      const resource = namespace === undefined ? "subjectaccessreviews" : "localsubjectaccessreviews";
      await authorize(resourceAttributes(ctx, "create", authorizationGroup, resource, namespace ?? "", ""));
      return deps.accessReviews.subjectAccessReview(ctx, review, namespace);
    },

    async createSelfSubjectAccessReview(ctx, review) {
      await authorize(
        resourceAttributes(ctx, "create", authorizationGroup, "selfsubjectaccessreviews", "", ""),
      );
      return deps.accessReviews.selfSubjectAccessReview(ctx, review);
    },

    async createSelfSubjectRulesReview(ctx, review) {
      await authorize(
        resourceAttributes(ctx, "create", authorizationGroup, "selfsubjectrulesreviews", "", ""),
      );
      return deps.accessReviews.selfSubjectRulesReview(ctx, review);
    },

    async authorizeNonResource(ctx, verb, path) {
      await authorize({
        user: ctx.user,
        verb,
        resourceRequest: false,
        apiGroup: "",
        apiVersion: "",
        resource: "",
        subresource: "",
        namespace: "",
        name: "",
        path,
      });
    },

    openIdMetadata: deps.openIdMetadata,
  };
}
