/**
 * "May the caller do this?" for the checks the HTTP layer makes itself (impersonation, the CRD
 * list kubectl asks for): asked of the Api as a SelfSubjectAccessReview, so RBAC stays the Api's.
 * A caller who may not even create SelfSubjectAccessReviews (`system:anonymous`) is simply not
 * allowed, and gets the 403 of the check itself rather than one about the review.
 */
import { create } from "@bufbuild/protobuf";
import { isStatusReason, type StatusError } from "@tokenplane/apimachinery";
import { authzv1 } from "@tokenplane/proto";
import type { Api } from "../api/api.js";
import { forbiddenError } from "../authz/index.js";
import type { RequestContext } from "../request/context.js";

/** The resource attributes of a check. */
export interface AccessCheck {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** Resolves when the caller may do it; throws Kubernetes' 403 naming the check otherwise. */
export async function requireAccess(api: Api, ctx: RequestContext, check: AccessCheck): Promise<void> {
  let allowed = false;
  let reason = "";
  try {
    const review = await api.createSelfSubjectAccessReview(
      ctx,
      create(authzv1.SelfSubjectAccessReviewSchema, {
        spec: {
          resourceAttributes: {
            verb: check.verb,
            group: check.group,
            resource: check.resource,
            subresource: check.subresource ?? "",
            namespace: check.namespace ?? "",
            name: check.name ?? "",
          },
        },
      }),
    );
    allowed = review.status?.allowed === true;
    reason = review.status?.reason ?? "";
  } catch (err) {
    if (!isStatusReason(err, "Forbidden")) throw err as StatusError;
  }
  if (allowed) return;
  throw forbiddenError(
    {
      user: ctx.user,
      verb: check.verb,
      resourceRequest: true,
      apiGroup: check.group,
      apiVersion: "v1",
      resource: check.resource,
      subresource: check.subresource ?? "",
      namespace: check.namespace ?? "",
      name: check.name ?? "",
      path: "",
    },
    reason,
  );
}
