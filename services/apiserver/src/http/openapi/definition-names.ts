/**
 * Kubernetes' OpenAPI definition names: the Go package path reversed at the front
 * (`k8s.io/api/core/v1.Pod` → `io.k8s.api.core.v1.Pod`), which our proto packages mirror
 * (`k8s.io.api.core.v1.Pod`).
 */
import type { DescMessage } from "@bufbuild/protobuf";
import type { ResourceInfo } from "@tokenplane/apimachinery";

/** Which OpenAPI document a schema is written for. */
export type OpenApiFlavor = "v3" | "v2";

/** The definition name of a message type (`io.k8s.api.core.v1.Pod`). */
export function definitionName(desc: DescMessage): string {
  return desc.typeName.startsWith("k8s.io.")
    ? `io.k8s.${desc.typeName.slice("k8s.io.".length)}`
    : desc.typeName;
}

/**
 * The definition name of a kind served by a resource: the package of its message with the kind's
 * name (a LocalSubjectAccessReview is a SubjectAccessReview message under its own name).
 */
export function kindDefinitionName(info: Pick<ResourceInfo, "schema" | "kind">): string {
  const name = definitionName(info.schema);
  return `${name.slice(0, name.lastIndexOf(".") + 1)}${info.kind}`;
}

/** A JSON reference to a definition, in the document's own notation. */
export function refTo(name: string, flavor: OpenApiFlavor): string {
  return flavor === "v3" ? `#/components/schemas/${name}` : `#/definitions/${name}`;
}

/** A Kubernetes group-version-kind as OpenAPI extensions write it. */
export interface Gvk {
  group: string;
  kind: string;
  version: string;
}
