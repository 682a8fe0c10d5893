/**
 * ConfigMap (pkg/registry/core/configmap/strategy.go, ValidateConfigMap and
 * ValidateConfigMapUpdate): config-key rules for `data` and `binaryData`, no key in both, 1 MiB in
 * total, and `immutable: true` freezing both maps.
 */
import { type FieldError, FieldPath, fieldError, isDNS1123Subdomain } from "@tokenplane/apimachinery";
import type { corev1 } from "@tokenplane/proto";
import { isConfigMapKey } from "../config-key.js";
import { validateMetaCreate, validateMetaUpdate } from "../meta-validation.js";
import type { Strategy } from "../strategy.js";
import { sameBytesMap, sameStringMap } from "./maps.js";
import { maxSecretSize } from "./secret.js";

const dataPath = FieldPath.root("data");
const binaryDataPath = FieldPath.root("binaryData");
const immutableDetail = "field is immutable when `immutable` is set";

/** `ValidateConfigMap`. */
export function validateConfigMap(cm: corev1.ConfigMap): FieldError[] {
  const errs = validateMetaCreate(cm.metadata, true, configMapStrategy.validateName);
  let total = 0;
  for (const [key, value] of Object.entries(cm.data)) {
    for (const msg of isConfigMapKey(key)) errs.push(fieldError.invalid(dataPath.key(key), key, msg));
    if (Object.hasOwn(cm.binaryData, key)) {
      errs.push(fieldError.invalid(dataPath.key(key), key, "duplicate of key present in binaryData"));
    }
    // Go's len() of a string counts bytes.
    total += Buffer.byteLength(value);
  }
  for (const [key, value] of Object.entries(cm.binaryData)) {
    for (const msg of isConfigMapKey(key)) errs.push(fieldError.invalid(binaryDataPath.key(key), key, msg));
    total += value.length;
  }
  // Kubernetes reports the size on the whole object (an empty path).
  if (total > maxSecretSize) errs.push(fieldError.tooLong("", "", maxSecretSize));
  return errs;
}

/** `ValidateConfigMapUpdate`. */
export function validateConfigMapUpdate(cm: corev1.ConfigMap, old: corev1.ConfigMap): FieldError[] {
  const errs = validateMetaUpdate(cm.metadata!, old.metadata!);
  if (old.immutable === true) {
    if (cm.immutable !== true) errs.push(fieldError.forbidden("immutable", immutableDetail));
    if (!sameStringMap(cm.data, old.data)) errs.push(fieldError.forbidden("data", immutableDetail));
    if (!sameBytesMap(cm.binaryData, old.binaryData))
      errs.push(fieldError.forbidden("binaryData", immutableDetail));
  }
  errs.push(...validateConfigMap(cm));
  return errs;
}

export const configMapStrategy: Strategy<corev1.ConfigMap> = {
  validateName: (name) => isDNS1123Subdomain(name),
  default() {},
  prepareForCreate() {},
  validate: validateConfigMap,
  prepareForUpdate() {},
  validateUpdate: validateConfigMapUpdate,
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
  subresources: {},
};
