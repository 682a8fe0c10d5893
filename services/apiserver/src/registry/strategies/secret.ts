/**
 * Secret (pkg/registry/core/secret/strategy.go, pkg/apis/core/validation ValidateSecret and
 * ValidateSecretUpdate, reference §4.2): `stringData` folded into `data` and never stored, type
 * defaulted to Opaque, config-key rules for data keys, 1 MiB in total, the per-type required keys,
 * `type` immutable, and `immutable: true` freezing the data.
 */
import { type FieldError, FieldPath, fieldError, isDNS1123Subdomain } from "@tokenplane/apimachinery";
import type { corev1 } from "@tokenplane/proto";
import { isConfigMapKey } from "../config-key.js";
import { validateMetaCreate, validateMetaUpdate } from "../meta-validation.js";
import type { Strategy } from "../strategy.js";
import { sameBytesMap } from "./maps.js";

/** `MaxSecretSize`: the total of all values, in bytes (also the ConfigMap limit). */
export const maxSecretSize = 1024 * 1024;
/** The type of legacy service-account token Secrets. */
export const serviceAccountTokenType = "kubernetes.io/service-account-token";
/** The annotation naming the token's ServiceAccount (`ServiceAccountNameKey`). */
export const serviceAccountNameAnnotation = "kubernetes.io/service-account.name";

const dataPath = FieldPath.root("data");
const encoder = new TextEncoder();

/** Keys each typed Secret must carry in `data`, per `ValidateSecret`. */
const requiredKeys: Record<string, string[]> = {
  "kubernetes.io/dockercfg": [".dockercfg"],
  "kubernetes.io/dockerconfigjson": [".dockerconfigjson"],
  "kubernetes.io/tls": ["tls.crt", "tls.key"],
};

/** Well-formed JSON check for the docker config types (Kubernetes unmarshals into a map). */
function jsonObjectError(bytes: Uint8Array): string | undefined {
  try {
    const v: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      return "json: cannot unmarshal into Go value of type map[string]interface {}";
    }
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** `ValidateSecret`. */
export function validateSecret(secret: corev1.Secret): FieldError[] {
  const errs = validateMetaCreate(secret.metadata, true, secretStrategy.validateName);
  let total = 0;
  for (const [key, value] of Object.entries(secret.data)) {
    for (const msg of isConfigMapKey(key)) errs.push(fieldError.invalid(dataPath.key(key), key, msg));
    total += value.length;
  }
  if (total > maxSecretSize) errs.push(fieldError.tooLong(dataPath, "", maxSecretSize));

  switch (secret.type) {
    case serviceAccountTokenType:
      // Only the account name is required: the tokens controller fills uid and data (reference §4.2).
      if (!secret.metadata?.annotations[serviceAccountNameAnnotation]) {
        errs.push(
          fieldError.required(
            FieldPath.root("metadata").child("annotations").key(serviceAccountNameAnnotation),
          ),
        );
      }
      break;
    case "kubernetes.io/dockercfg":
    case "kubernetes.io/dockerconfigjson": {
      const key = requiredKeys[secret.type]![0]!;
      const bytes = secret.data[key];
      if (bytes === undefined) {
        errs.push(fieldError.required(dataPath.key(key)));
        break;
      }
      const bad = jsonObjectError(bytes);
      if (bad) errs.push(fieldError.invalid(dataPath.key(key), "<secret contents redacted>", bad));
      break;
    }
    case "kubernetes.io/basic-auth":
      // Kubernetes' path here is literally `data[%s][username]` (a quirk kept for fidelity).
      if (!("username" in secret.data) && !("password" in secret.data)) {
        errs.push(fieldError.required(FieldPath.root("data[%s]").key("username")));
        errs.push(fieldError.required(FieldPath.root("data[%s]").key("password")));
      }
      break;
    case "kubernetes.io/ssh-auth":
      if (!secret.data["ssh-privatekey"]?.length) {
        errs.push(fieldError.required(FieldPath.root("data[%s]").key("ssh-privatekey")));
      }
      break;
    case "kubernetes.io/tls":
      for (const key of requiredKeys[secret.type]!) {
        if (!(key in secret.data)) errs.push(fieldError.required(dataPath.key(key)));
      }
      break;
  }
  return errs;
}

const immutableDetail = "field is immutable when `immutable` is set";

/** `ValidateSecretUpdate`. */
export function validateSecretUpdate(secret: corev1.Secret, old: corev1.Secret): FieldError[] {
  const errs = validateMetaUpdate(secret.metadata!, old.metadata!);
  if (secret.type !== old.type) errs.push(fieldError.invalid("type", secret.type, "field is immutable"));
  if (old.immutable === true) {
    if (secret.immutable !== true) errs.push(fieldError.forbidden("immutable", immutableDetail));
    if (!sameBytesMap(secret.data, old.data)) errs.push(fieldError.forbidden("data", immutableDetail));
  }
  errs.push(...validateSecret(secret));
  return errs;
}

export const secretStrategy: Strategy<corev1.Secret> = {
  validateName: (name) => isDNS1123Subdomain(name),
  default(secret) {
    // Convert_v1_Secret_To_core_Secret: stringData overwrites data keys and is never stored.
    for (const [k, v] of Object.entries(secret.stringData)) secret.data[k] = encoder.encode(v);
    secret.stringData = {};
    // SetDefaults_Secret.
    if (!secret.type) secret.type = "Opaque";
  },
  prepareForCreate() {},
  validate: validateSecret,
  prepareForUpdate() {},
  validateUpdate: validateSecretUpdate,
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
  subresources: {},
};
