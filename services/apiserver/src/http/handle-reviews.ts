/**
 * POST of the virtual (never stored) kinds: TokenReview, SelfSubjectReview, SubjectAccessReview,
 * LocalSubjectAccessReview, SelfSubjectAccessReview and SelfSubjectRulesReview. kubectl sends
 * `auth whoami` and `auth can-i` bodies as protobuf; client libraries send JSON. The answer is
 * the review with its status, 201 Created (Kubernetes' create path).
 */
import type { Message } from "@bufbuild/protobuf";
import { objectToJson } from "@tokenplane/apimachinery";
import type { authnv1, authzv1 } from "@tokenplane/proto";
import { type ApiRequest, respond } from "./api-request.js";
import { decodeObject } from "./decode-object.js";
import { readWriteRequest } from "./handle-write.js";
import { newRouteMethodNotAllowed } from "./http-status.js";
import type { ResourceTarget } from "./resolve-resource.js";

/** True for the review resources this handler serves. */
export function isReviewResource(t: ResourceTarget): boolean {
  return t.resource.objectCase === undefined;
}

/** POST of a review. */
export async function handleReview(r: ApiRequest, t: ResourceTarget): Promise<void> {
  const { format, body, query, output } = await readWriteRequest(r, "CreateOptions");
  const decoded = decodeObject<Message>(body, format, t.resource, query.fieldValidation);
  r.ctx.warnings.push(...decoded.warnings);
  const { api } = r.deps;
  let result: Message;
  switch (t.resource.resource) {
    case "tokenreviews":
      result = await api.createTokenReview(r.ctx, decoded.object as authnv1.TokenReview);
      break;
    case "selfsubjectreviews":
      result = await api.createSelfSubjectReview(r.ctx, decoded.object as authnv1.SelfSubjectReview);
      break;
    case "subjectaccessreviews":
      result = await api.createSubjectAccessReview(r.ctx, decoded.object as authzv1.SubjectAccessReview);
      break;
    case "localsubjectaccessreviews":
      result = await api.createSubjectAccessReview(
        r.ctx,
        decoded.object as authzv1.SubjectAccessReview,
        t.namespace,
      );
      break;
    case "selfsubjectaccessreviews":
      result = await api.createSelfSubjectAccessReview(
        r.ctx,
        decoded.object as authzv1.SelfSubjectAccessReview,
      );
      break;
    case "selfsubjectrulesreviews":
      result = await api.createSelfSubjectRulesReview(
        r.ctx,
        decoded.object as authzv1.SelfSubjectRulesReview,
      );
      break;
    default:
      throw newRouteMethodNotAllowed();
  }
  respond(r, 201, objectToJson(t.resource, result), output);
}
