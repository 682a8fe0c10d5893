/**
 * ServiceAccount (pkg/registry/core/serviceaccount/strategy.go, reference §8.2): secret
 * references cut to their name, ObjectMeta validation only, unconditional updates allowed, PUT
 * of a missing account is 404, and the deprecation warning of the enforce-mountable-secrets
 * annotation (reference §2.5).
 */

import { create } from "@bufbuild/protobuf";
import { isDNS1123Subdomain } from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import { validateMetaCreate, validateMetaUpdate } from "../meta-validation.js";
import type { Strategy } from "../strategy.js";

/** The annotation that makes the ServiceAccount admission plugin enforce `secrets[]` (deprecated in 1.32). */
export const enforceMountableSecretsAnnotation = "kubernetes.io/enforce-mountable-secrets";

/** The exact warning Kubernetes returns when the annotation is set (reference §2.5). */
export const enforceMountableSecretsWarning = `metadata.annotations[${enforceMountableSecretsAnnotation}]: deprecated in v1.32+; prefer separate namespaces to isolate access to mounted secrets`;

/** `cleanSecretReferences`: every `secrets[i]` keeps only its name. */
function cleanSecretReferences(sa: corev1.ServiceAccount): void {
  sa.secrets = sa.secrets.map((ref) => create(corev1.ObjectReferenceSchema, { name: ref.name }));
}

const hasAnnotation = (sa: corev1.ServiceAccount) =>
  Object.hasOwn(sa.metadata?.annotations ?? {}, enforceMountableSecretsAnnotation);

export const serviceAccountStrategy: Strategy<corev1.ServiceAccount> = {
  validateName: (name) => isDNS1123Subdomain(name),
  default() {},
  prepareForCreate: cleanSecretReferences,
  validate: (sa) => validateMetaCreate(sa.metadata, true, serviceAccountStrategy.validateName),
  warningsOnCreate: (sa) => (hasAnnotation(sa) ? [enforceMountableSecretsWarning] : []),
  prepareForUpdate: (sa) => cleanSecretReferences(sa),
  validateUpdate: (sa, old) => validateMetaUpdate(sa.metadata!, old.metadata!),
  // Only when the annotation is newly added, so that unrelated updates stay quiet.
  warningsOnUpdate: (sa, old) =>
    hasAnnotation(sa) && !hasAnnotation(old) ? [enforceMountableSecretsWarning] : [],
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
  subresources: {},
};
