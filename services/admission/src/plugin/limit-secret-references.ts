/**
 * The mountable-secrets check (reference §3.2): when enforced, a pod may only use the secrets its
 * ServiceAccount lists. Each function returns Kubernetes' message for the first violation, or
 * `undefined`; the caller wraps it in the 403.
 */
import type { corev1 } from "@tokenplane/proto";
import { EnforceMountableSecretsAnnotation } from "./constants.js";
import { parseGoBool } from "./parse-go-bool.js";

/**
 * Whether the check applies to pods of `sa`: always when the plugin's `limitSecretReferences` is on
 * (it overrides the account), else when the account's `kubernetes.io/enforce-mountable-secrets`
 * annotation parses as true with Go `strconv.ParseBool` (a parse error counts as false).
 */
export function enforceMountableSecrets(sa: corev1.ServiceAccount, limitSecretReferences: boolean): boolean {
  if (limitSecretReferences) return true;
  const annotations = sa.metadata?.annotations ?? {};
  if (!Object.hasOwn(annotations, EnforceMountableSecretsAnnotation)) return false;
  const parsed = parseGoBool(annotations[EnforceMountableSecretsAnnotation]!);
  return "value" in parsed && parsed.value;
}

/** The secrets pods of `sa` may mount or read from env: the names in `sa.secrets[]`. */
function mountableSecrets(sa: corev1.ServiceAccount): Set<string> {
  return new Set(sa.secrets.map((s) => s.name));
}

/** The name of the account, as Kubernetes prints it in these messages (`serviceAccount.Name`). */
const saName = (sa: corev1.ServiceAccount) => sa.metadata?.name ?? "";

/**
 * Checks one container's `env[].valueFrom.secretKeyRef` then `envFrom[].secretRef` against
 * `allowed`; `what` is the message's subject (`init container c`, `container c`,
 * `ephemeral container c`).
 */
function checkContainerEnv(
  what: string,
  c: { env: corev1.EnvVar[]; envFrom: corev1.EnvFromSource[] },
  allowed: Set<string>,
  sa: string,
): string | undefined {
  for (const env of c.env) {
    const ref = env.valueFrom?.secretKeyRef;
    if (!ref) continue;
    const secret = ref.localObjectReference?.name ?? "";
    if (!allowed.has(secret)) {
      return `${what} with envVar ${env.name} referencing secret.secretName="${secret}" is not allowed because service account ${sa} does not reference that secret`;
    }
  }
  for (const from of c.envFrom) {
    if (!from.secretRef) continue;
    const secret = from.secretRef.localObjectReference?.name ?? "";
    if (!allowed.has(secret)) {
      return `${what} with envFrom referencing secret.secretName="${secret}" is not allowed because service account ${sa} does not reference that secret`;
    }
  }
  return undefined;
}

/**
 * Kubernetes' `limitSecretReferences`, checked in its order, first violation wins:
 * 1. `volumes[].secret.secretName` ∉ `sa.secrets` — projected secret sources are **not** checked;
 * 2. each init container's env then envFrom secret refs ∉ `sa.secrets`;
 * 3. each container's env then envFrom secret refs ∉ `sa.secrets`;
 * 4. `imagePullSecrets[i].name` ∉ `sa.imagePullSecrets` (not `sa.secrets`).
 * Ephemeral containers are checked only on their own subresource
 * ({@link limitEphemeralContainerSecretReferences}).
 */
export function limitSecretReferences(sa: corev1.ServiceAccount, pod: corev1.Pod): string | undefined {
  const spec = pod.spec;
  if (!spec) return undefined;
  const allowed = mountableSecrets(sa);
  const name = saName(sa);
  // Go prints these names with "%s" between literal quotes, not %q: no escaping.
  for (const volume of spec.volumes) {
    const secret = volume.volumeSource?.secret;
    if (secret && !allowed.has(secret.secretName)) {
      return `volume with secret.secretName="${secret.secretName}" is not allowed because service account ${name} does not reference that secret`;
    }
  }
  for (const c of spec.initContainers) {
    const err = checkContainerEnv(`init container ${c.name}`, c, allowed, name);
    if (err) return err;
  }
  for (const c of spec.containers) {
    const err = checkContainerEnv(`container ${c.name}`, c, allowed, name);
    if (err) return err;
  }
  const pullSecrets = new Set(sa.imagePullSecrets.map((s) => s.name));
  for (const [i, ref] of spec.imagePullSecrets.entries()) {
    if (!pullSecrets.has(ref.name)) {
      return `imagePullSecrets[${i}].name="${ref.name}" is not allowed because service account ${name} does not reference that imagePullSecret`;
    }
  }
  return undefined;
}

/**
 * Kubernetes' `limitEphemeralContainerSecretReferences`: each ephemeral container's env then
 * envFrom secret refs must be in `sa.secrets`; messages start with `ephemeral container <c>`.
 */
export function limitEphemeralContainerSecretReferences(
  sa: corev1.ServiceAccount,
  pod: corev1.Pod,
): string | undefined {
  const allowed = mountableSecrets(sa);
  const name = saName(sa);
  for (const ec of pod.spec?.ephemeralContainers ?? []) {
    const c = ec.ephemeralContainerCommon;
    if (!c) continue;
    const err = checkContainerEnv(`ephemeral container ${c.name}`, c, allowed, name);
    if (err) return err;
  }
  return undefined;
}
