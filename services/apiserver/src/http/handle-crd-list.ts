/**
 * `GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions`: an empty list. tokenplane has no
 * custom resources, but kubectl asks for them while validating a kind whose OpenAPI has no PATCH
 * operation (`kubectl create -f` of a TokenReview or another review): its field-validation
 * verifier then checks whether the kind is a CRD, and a 404 there makes kubectl refuse the file
 * ("failed to check CRD: failed to list CRDs") where a real cluster answers with a list and kubectl
 * goes on to validate on the client. The caller must be allowed to list CRDs, as in Kubernetes;
 * that is asked of the Api as a SelfSubjectAccessReview. Nothing else of the group is served (it
 * is not in discovery).
 */
import { type ApiRequest, respond } from "./api-request.js";
import { requireAccess } from "./self-access.js";

const group = "apiextensions.k8s.io";
const resource = "customresourcedefinitions";

/** True for a list of CRDs (the only request of the group that is answered). */
export function isCrdList(r: ApiRequest): boolean {
  const i = r.info;
  return (
    i.apiGroup === group &&
    i.apiVersion === "v1" &&
    i.resource === resource &&
    i.verb === "list" &&
    i.namespace === ""
  );
}

/** Answers the list, or 403 when the caller may not list CRDs. */
export async function handleCrdList(r: ApiRequest): Promise<void> {
  await requireAccess(r.deps.api, r.ctx, { verb: "list", group, resource });
  respond(r, 200, {
    kind: "CustomResourceDefinitionList",
    apiVersion: `${group}/v1`,
    metadata: {},
    items: [],
  });
}
