/**
 * The object registry of the apiserver: Kubernetes API semantics (strategies, validation,
 * defaulting, optimistic concurrency, graceful deletion, finalizers, namespace lifecycle, list
 * paging and watch) for every stored kind, over the storage interface. See README.md.
 */

export { decodeObject, encodeObject } from "./codec.js";
export { isConfigMapKey } from "./config-key.js";
export { keyPrefix, objectKey, type ParsedKey, parseObjectKey, resourcePrefix } from "./keys.js";
export { validateFinalizerName, validateMetaCreate, validateMetaUpdate } from "./meta-validation.js";
export {
  ensureSystemNamespaces,
  type NamespaceController,
  type NamespaceControllerOptions,
  startNamespaceController,
  systemNamespaces,
} from "./namespace-controller.js";
export type {
  AdmissionController,
  DeleteOptions,
  DeleteResult,
  GetOptions,
  ListOptions,
  ListResult,
  Registry,
  UpdateOptions,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from "./registry.js";
export { createRegistry, type RegistryOptions } from "./store.js";
export { configMapStrategy } from "./strategies/config-map.js";
export { defaultStrategies } from "./strategies/index.js";
export {
  immortalNamespaces,
  metadataNameLabel,
  namespaceFinalizer,
  namespaceStrategy,
} from "./strategies/namespace.js";
export { nodeStrategy } from "./strategies/node.js";
export { createPodStrategy, podQOSClass, podStrategy } from "./strategies/pod.js";
export { defaultPod, imageTag } from "./strategies/pod-defaults.js";
export { podUpdatableFieldsText } from "./strategies/pod-validation.js";
export type { PodValidationOptions } from "./strategies/pod-volumes.js";
export {
  clusterRoleBindingStrategy,
  clusterRoleStrategy,
  rbacGroup,
  roleBindingStrategy,
  roleStrategy,
} from "./strategies/rbac.js";
export {
  maxSecretSize,
  secretStrategy,
  serviceAccountNameAnnotation,
  serviceAccountTokenType,
} from "./strategies/secret.js";
export {
  enforceMountableSecretsAnnotation,
  enforceMountableSecretsWarning,
  serviceAccountStrategy,
} from "./strategies/service-account.js";
export { anyStrategy, type BeforeDeleteResult, type Strategy, type SubresourceStrategy } from "./strategy.js";
