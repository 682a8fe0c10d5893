/**
 * The root CA publisher's reconcile (reference §4.3, pkg/controller/certificates/
 * rootcacertpublisher/publisher.go `syncNamespace`): ConfigMap `kube-root-ca.crt` in every
 * namespace with exactly `data: {"ca.crt": <root CA PEM>}` and the description annotation.
 */
import { clone, create } from "@bufbuild/protobuf";
import { corev1, metav1 } from "@tokenplane/proto";
import type { Action } from "../client/actions.js";

/** The ConfigMap's name (RootCACertConfigMapName). */
export const ROOT_CA_CONFIGMAP_NAME = "kube-root-ca.crt";
/** The data key of the bundle. */
export const ROOT_CA_CONFIGMAP_KEY = "ca.crt";
/** The annotation describing the ConfigMap (DescriptionAnnotation). */
export const DESCRIPTION_ANNOTATION = "kubernetes.io/description";
/** Its text, exactly as Kubernetes writes it (Description). */
export const DESCRIPTION =
  "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

/**
 * The write that makes `namespace`'s `kube-root-ca.crt` right:
 * - missing from the cache → Create `{metadata: {name, namespace, annotations: {description}},
 *   data: {"ca.crt": rootCA}}`; NotFound (the namespace is gone) and NamespaceTerminating are
 *   success (no retry);
 * - `data` exactly `{"ca.crt": rootCA}` and a non-empty description → nothing;
 * - otherwise Update a copy with `data` replaced wholesale (other keys dropped) and the description
 *   set (other annotations and labels kept).
 *
 * @param cached the cached ConfigMap, undefined when there is none
 */
export function rootCAConfigMapActions(
  namespace: string,
  cached: corev1.ConfigMap | undefined,
  rootCA: string,
): Action[] {
  if (cached === undefined) {
    return [
      {
        verb: "create",
        resource: "configmaps",
        object: create(corev1.ConfigMapSchema, {
          metadata: {
            name: ROOT_CA_CONFIGMAP_NAME,
            namespace,
            annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION },
          },
          data: { [ROOT_CA_CONFIGMAP_KEY]: rootCA },
        }),
        tolerate: ["NotFound", "NamespaceTerminating"],
      },
    ];
  }
  const keys = Object.keys(cached.data);
  const dataMatches = keys.length === 1 && cached.data[ROOT_CA_CONFIGMAP_KEY] === rootCA;
  if (dataMatches && (cached.metadata?.annotations[DESCRIPTION_ANNOTATION] ?? "") !== "") return [];
  const updated = clone(corev1.ConfigMapSchema, cached);
  updated.metadata ??= create(metav1.ObjectMetaSchema);
  updated.data = { [ROOT_CA_CONFIGMAP_KEY]: rootCA };
  updated.metadata.annotations[DESCRIPTION_ANNOTATION] = DESCRIPTION;
  return [{ verb: "update", resource: "configmaps", object: updated, tolerate: [] }];
}
