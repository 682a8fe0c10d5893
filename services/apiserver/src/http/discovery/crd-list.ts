/**
 * The answer to `GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions`: an empty list.
 *
 * tokenplane serves no CustomResourceDefinitions (and no apiextensions group in discovery), but
 * kubectl lists them: `kubectl create -f` with default validation of a kind whose PATCH operation
 * does not declare `fieldValidation` (the create-only kinds — TokenReview, SubjectAccessReview,
 * ...) checks whether the kind is a CRD before validating it client-side against `/openapi/v2`,
 * and a 404 there makes kubectl refuse ("failed to check CRD: failed to list CRDs"). Kubernetes
 * answers with the cluster's CRDs; an empty list lets kubectl go on to its v2 validation.
 */
import type { JsonObject } from "@tokenplane/apimachinery";

/** The path kubectl lists CRDs at. */
export const customResourceDefinitionsPath = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

/** An empty `CustomResourceDefinitionList` at `resourceVersion` (the store's current one). */
export function emptyCustomResourceDefinitionList(resourceVersion = ""): JsonObject {
  return {
    kind: "CustomResourceDefinitionList",
    apiVersion: "apiextensions.k8s.io/v1",
    metadata: resourceVersion ? { resourceVersion } : {},
    items: [],
  };
}
