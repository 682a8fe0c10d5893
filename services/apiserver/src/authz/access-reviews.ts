/**
 * The access-review APIs of authorization.k8s.io/v1: SubjectAccessReview,
 * LocalSubjectAccessReview, SelfSubjectAccessReview and SelfSubjectRulesReview
 * (pkg/registry/authorization/*, pkg/apis/authorization/validation/validation.go,
 * pkg/registry/authorization/util/helpers.go), with Kubernetes' validation texts.
 *
 * Validation failures are 422 `.authorization.k8s.io "" is invalid: ...`: Kubernetes builds the
 * GroupKind from the decoded internal object, whose kind is empty, and reviews have no name.
 * Status: `allowed` = decision allow, `denied` = decision deny, `reason` = the authorizers'
 * reason, `evaluationError` = their error. The caller authorizes `create` on the review resource
 * first, like any request.
 */
import { clone, create, type DescMessage, equals, type Message } from "@bufbuild/protobuf";
import { type FieldError, fieldError, newBadRequest, newInvalid, toK8sJson } from "@tokenplane/apimachinery";
import { authzv1, metav1 } from "@tokenplane/proto";
import type { RequestContext, UserInfo } from "../request/context.js";
import type { Attributes, Authorizer, RuleResolver } from "./authorizer.js";

/** Options of {@link createAccessReviews}. */
export interface AccessReviewsOptions {
  /** The whole authorizer chain, as the request filter uses it. */
  authorizer: Authorizer;
  /** The rule resolvers (RBAC), for SelfSubjectRulesReview. */
  ruleResolver: RuleResolver;
}

/** The four review endpoints. */
export interface AccessReviews {
  /**
   * SubjectAccessReview, or LocalSubjectAccessReview when `namespace` (from the URL) is given:
   * the review with `status` filled in for the user of `spec`. Throws 400 / 422 StatusErrors.
   */
  subjectAccessReview(
    ctx: RequestContext,
    sar: authzv1.SubjectAccessReview,
    namespace?: string,
  ): Promise<authzv1.SubjectAccessReview>;
  /** SelfSubjectAccessReview: the review with `status` filled in for the requesting user. */
  selfSubjectAccessReview(
    ctx: RequestContext,
    ssar: authzv1.SelfSubjectAccessReview,
  ): Promise<authzv1.SelfSubjectAccessReview>;
  /**
   * SelfSubjectRulesReview: a new review holding only `status` (Kubernetes returns neither the
   * metadata nor the spec) with the requesting user's rules in `spec.namespace`.
   */
  selfSubjectRulesReview(
    ctx: RequestContext,
    ssrr: authzv1.SelfSubjectRulesReview,
  ): Promise<authzv1.SelfSubjectRulesReview>;
}

/** `authorizationapi.Kind(obj.Kind)` of an internal object: an empty kind in the group. */
const reviewGroupKind = { group: "authorization.k8s.io", kind: "" };

const json = (schema: DescMessage, m: Message | undefined) => (m ? toK8sJson(schema, m) : null);

/** The spec checks shared by SubjectAccessReview and SelfSubjectAccessReview. */
function validateAttributesChoice(spec: {
  resourceAttributes?: authzv1.ResourceAttributes | undefined;
  nonResourceAttributes?: authzv1.NonResourceAttributes | undefined;
}): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.resourceAttributes && spec.nonResourceAttributes) {
    errs.push(
      fieldError.invalid(
        "spec.nonResourceAttributes",
        json(authzv1.NonResourceAttributesSchema, spec.nonResourceAttributes),
        "cannot be specified in combination with resourceAttributes",
      ),
    );
  }
  if (!spec.resourceAttributes && !spec.nonResourceAttributes) {
    errs.push(
      fieldError.invalid(
        "spec.resourceAttributes",
        null,
        "exactly one of nonResourceAttributes or resourceAttributes must be specified",
      ),
    );
  }
  return errs;
}

/** `ValidateSubjectAccessReviewSpec`. */
function validateSubjectAccessReviewSpec(spec: authzv1.SubjectAccessReviewSpec): FieldError[] {
  const errs = validateAttributesChoice(spec);
  if (!spec.user && spec.groups.length === 0) {
    errs.push(fieldError.invalid("spec.user", spec.user, "at least one of user or group must be specified"));
  }
  return errs;
}

/** True when the metadata is empty (optionally ignoring the namespace). */
function metaIsEmpty(meta: metav1.ObjectMeta | undefined, ignoreNamespace: boolean): boolean {
  if (!meta) return true;
  const m = clone(metav1.ObjectMetaSchema, meta);
  if (ignoreNamespace) m.namespace = "";
  return equals(metav1.ObjectMetaSchema, m, create(metav1.ObjectMetaSchema));
}

function metaError(meta: metav1.ObjectMeta | undefined, detail: string): FieldError {
  return fieldError.invalid("metadata", json(metav1.ObjectMetaSchema, meta), detail);
}

/** `ResourceAttributesFrom` / `NonResourceAttributesFrom`: the attributes a review asks about. */
function reviewAttributes(
  user: UserInfo,
  spec: {
    resourceAttributes?: authzv1.ResourceAttributes | undefined;
    nonResourceAttributes?: authzv1.NonResourceAttributes | undefined;
  },
): Attributes {
  const r = spec.resourceAttributes;
  if (r) {
    return {
      user,
      verb: r.verb,
      resourceRequest: true,
      apiGroup: r.group,
      // matchAllVersionIfEmpty
      apiVersion: r.version || "*",
      resource: r.resource,
      subresource: r.subresource,
      namespace: r.namespace,
      name: r.name,
      path: "",
    };
  }
  const n = spec.nonResourceAttributes;
  return {
    user,
    verb: n?.verb ?? "",
    resourceRequest: false,
    apiGroup: "",
    apiVersion: "",
    resource: "",
    subresource: "",
    namespace: "",
    name: "",
    path: n?.path ?? "",
  };
}

/** `AuthorizationAttributesFrom`: the user is the spec's, exactly as given (no groups added). */
function specUser(spec: authzv1.SubjectAccessReviewSpec): UserInfo {
  const extra: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(spec.extra)) extra[k] = [...v.items];
  return { username: spec.user, uid: spec.uid, groups: [...spec.groups], extra };
}

/** Creates the review endpoints. */
export function createAccessReviews(options: AccessReviewsOptions): AccessReviews {
  const { authorizer, ruleResolver } = options;

  const decide = async (attrs: Attributes): Promise<authzv1.SubjectAccessReviewStatus> => {
    const r = await authorizer.authorize(attrs);
    return create(authzv1.SubjectAccessReviewStatusSchema, {
      allowed: r.decision === "allow",
      denied: r.decision === "deny",
      reason: r.reason,
      evaluationError: r.evaluationError ?? "",
    });
  };

  return {
    async subjectAccessReview(_ctx, input, namespace) {
      const sar = clone(authzv1.SubjectAccessReviewSchema, input);
      const spec = sar.spec ?? create(authzv1.SubjectAccessReviewSpecSchema);
      const local = namespace !== undefined;
      // A decoded object always has metadata; the local review's namespace is written into it.
      if (local && !sar.metadata) sar.metadata = create(metav1.ObjectMetaSchema);
      const meta = sar.metadata;
      // EnsureObjectNamespaceMatchesRequestNamespace, as the generic create handler does.
      if (meta) {
        if (!local) meta.namespace = "";
        else if (!meta.namespace) meta.namespace = namespace;
        else if (meta.namespace !== namespace) {
          throw newBadRequest(
            "the namespace of the provided object does not match the namespace sent on the request",
          );
        }
      }
      const objectNamespace = meta?.namespace ?? namespace ?? "";
      const errs = validateSubjectAccessReviewSpec(spec);
      if (local) {
        // ValidateLocalSubjectAccessReview
        if (!metaIsEmpty(meta, true)) errs.push(metaError(meta, "must be empty except for namespace"));
        if (spec.resourceAttributes && spec.resourceAttributes.namespace !== objectNamespace) {
          errs.push(
            fieldError.invalid(
              "spec.resourceAttributes.namespace",
              spec.resourceAttributes.namespace,
              "must match metadata.namespace",
            ),
          );
        }
        if (spec.nonResourceAttributes) {
          errs.push(
            fieldError.invalid(
              "spec.nonResourceAttributes",
              json(authzv1.NonResourceAttributesSchema, spec.nonResourceAttributes),
              "disallowed on this kind of request",
            ),
          );
        }
      } else if (!metaIsEmpty(meta, false)) {
        errs.push(metaError(meta, "must be empty"));
      }
      if (errs.length) throw newInvalid(reviewGroupKind, "", errs);
      if (local) {
        if (!namespace) throw newBadRequest(`namespace is required on this type: ${namespace}`);
        if (namespace !== objectNamespace) {
          throw newBadRequest(`spec.resourceAttributes.namespace must match namespace: ${namespace}`);
        }
      }
      sar.status = await decide(reviewAttributes(specUser(spec), spec));
      return sar;
    },

    async selfSubjectAccessReview(ctx, input) {
      const ssar = clone(authzv1.SelfSubjectAccessReviewSchema, input);
      const spec = ssar.spec ?? create(authzv1.SelfSubjectAccessReviewSpecSchema);
      if (ssar.metadata) ssar.metadata.namespace = "";
      const errs = validateAttributesChoice(spec);
      if (!metaIsEmpty(ssar.metadata, false)) errs.push(metaError(ssar.metadata, "must be empty"));
      if (errs.length) throw newInvalid(reviewGroupKind, "", errs);
      ssar.status = await decide(reviewAttributes(ctx.user, spec));
      return ssar;
    },

    async selfSubjectRulesReview(ctx, input) {
      const namespace = input.spec?.namespace ?? "";
      if (!namespace) throw newBadRequest("no namespace on request");
      const r = await ruleResolver.rulesFor(ctx.user, namespace);
      return create(authzv1.SelfSubjectRulesReviewSchema, {
        status: {
          resourceRules: r.resourceRules,
          nonResourceRules: r.nonResourceRules,
          incomplete: r.incomplete,
          evaluationError: r.evaluationError,
        },
      });
    },
  };
}
