/**
 * Kubernetes' ServiceAccount admission plugin (`plugin/pkg/admission/serviceaccount/admission.go`)
 * as pure functions over protobuf-es pods: `admit` is the mutating phase followed by the
 * validating phase, as the Go plugin's `Admit` ends by calling `Validate` (reference §3.1, §3.2);
 * `validate` is the validating phase alone.
 *
 * Every denial is a 403 `StatusError` built like `admission.NewForbidden`:
 * `pods "<name>" is forbidden: <reason>`, the name being the pod's name, else its generateName,
 * else `Unknown`.
 */
import { clone, create } from "@bufbuild/protobuf";
import {
  fieldError,
  fieldErrorString,
  newForbidden,
  type StatusError,
  generateName as simpleNameGenerator,
  visitPodSecretNames,
} from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import {
  DefaultServiceAccountName,
  EphemeralContainersSubresource,
  MirrorPodAnnotationKey,
} from "./constants.js";
import {
  enforceMountableSecrets,
  limitEphemeralContainerSecretReferences,
  limitSecretReferences,
} from "./limit-secret-references.js";
import { mountServiceAccountToken, shouldAutomount } from "./mount-service-account-token.js";
import type { GetServiceAccount } from "./service-account-getter.js";

/** The operations the plugin handles (`admission.NewHandler(admission.Create, admission.Update)`). */
export type AdmissionOperation = "CREATE" | "UPDATE";

/** One admission call for a pod. */
export interface AdmissionRequest {
  operation: AdmissionOperation;
  /** The resource; anything but `pods` is ignored. Default `pods`. */
  resource?: string;
  /** `""` for the pod itself, `ephemeralcontainers`; any other subresource is ignored. */
  subresource: string;
  /** The request's namespace (`a.GetNamespace()`), used for lookups and messages. */
  namespace: string;
  /** The object being created or the new state of the update. Never modified. */
  pod: corev1.Pod;
  /** The stored pod, for UPDATE. Never modified. */
  oldPod?: corev1.Pod;
}

/** What the validating phase needs. */
export interface ValidateDeps {
  /** Looks up a ServiceAccount (reference §3.4); see `serviceAccountGetter`. */
  getServiceAccount: GetServiceAccount;
  /**
   * Enforce mountable secrets for every ServiceAccount, as if each carried
   * `kubernetes.io/enforce-mountable-secrets: "true"`. Default false (Kubernetes' default).
   */
  limitSecretReferences?: boolean;
}

/** What the mutating and validating phases need. */
export interface AdmitDeps extends ValidateDeps {
  /**
   * Makes the token volume name from the prefix `kube-api-access-`. Default: apimachinery's
   * `generateName` (Kubernetes' SimpleNameGenerator, 5 random characters).
   */
  generateName?: (prefix: string) => string;
  /** Inject the projected token volume and mounts when the automount decision says so. Default true. */
  mountServiceAccountToken?: boolean;
}

/** An admitted pod. */
export interface AdmitResult {
  /** A copy of the request's pod with the plugin's changes (an unchanged copy when it made none). */
  pod: corev1.Pod;
  /** Warnings for the client; this plugin adds none (reference §2.5: creating a pod gives no warning). */
  warnings: string[];
}

const podsResource = { group: "", resource: "pods" } as const;

/**
 * Kubernetes' `shouldIgnore`: the plugin only looks at `pods` (the main resource or the
 * `ephemeralcontainers` subresource) with a Pod object, and only at CREATE and UPDATE.
 */
export function shouldIgnore(request: {
  operation: string;
  resource?: string;
  subresource: string;
  pod?: { $typeName: string } | undefined;
}): boolean {
  if (request.operation !== "CREATE" && request.operation !== "UPDATE") return true;
  if ((request.resource ?? "pods") !== "pods") return true;
  if (request.subresource !== "" && request.subresource !== EphemeralContainersSubresource) return true;
  return request.pod?.$typeName !== corev1.PodSchema.typeName;
}

/** Kubernetes' `no service account specified for pod <ns>/<name>` (the name may be empty). */
function noServiceAccount(pod: corev1.Pod, namespace: string): StatusError {
  return forbidden(pod, `no service account specified for pod ${namespace}/${pod.metadata?.name ?? ""}`);
}

/** `admission.NewForbidden` for a pod: 403 `pods "<name>" is forbidden: <reason>`. */
function forbidden(pod: corev1.Pod, reason: string): StatusError {
  // The name is not generated yet at admission time, hence generateName as the fallback.
  const name = pod.metadata?.name || pod.metadata?.generateName || "Unknown";
  return newForbidden(podsResource, name, reason);
}

/** Whether the pod carries the mirror-pod annotation (any value). */
function isMirrorPod(pod: corev1.Pod): boolean {
  return Object.hasOwn(pod.metadata?.annotations ?? {}, MirrorPodAnnotationKey);
}

/**
 * The service account name the internal (unversioned) pod has: `spec.serviceAccountName`, or the
 * deprecated `spec.serviceAccount` when the former is empty — core/v1 conversion, which Kubernetes
 * applies before admission sees the pod (reference §3.5).
 */
export function effectiveServiceAccountName(pod: corev1.Pod): string {
  return pod.spec?.serviceAccountName || pod.spec?.serviceAccount || "";
}

/** Looks the account up, turning any failure into the plugin's 403 (reference §3.1 step 3). */
async function lookUp(
  deps: ValidateDeps,
  namespace: string,
  name: string,
  pod: corev1.Pod,
): Promise<corev1.ServiceAccount> {
  try {
    return await deps.getServiceAccount(namespace, name);
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    throw forbidden(pod, `error looking up service account ${namespace}/${name}: ${text}`);
  }
}

/** The mirror-pod restrictions of reference §3.2. */
function validateMirrorPod(pod: corev1.Pod): void {
  if (effectiveServiceAccountName(pod) !== "") {
    throw forbidden(pod, "a mirror pod may not reference service accounts");
  }
  // Any secret anywhere, empty names included (VisitPodSecretNames over all containers).
  const hasSecrets = !visitPodSecretNames(pod, () => false);
  if (hasSecrets) throw forbidden(pod, "a mirror pod may not reference secrets");
  for (const volume of pod.spec?.volumes ?? []) {
    for (const source of volume.volumeSource?.projected?.sources ?? []) {
      if (source.serviceAccountToken) {
        throw forbidden(pod, "a mirror pod may not use ServiceAccountToken volume projections");
      }
    }
  }
}

/**
 * tokenplane's immutability check for `spec.serviceAccountName` on UPDATE of the pod itself.
 * Kubernetes does not do this in admission: pod update validation (`ValidatePodUpdate`) rejects
 * any spec change outside a few mutable fields with 422 `spec: Forbidden: pod updates may not
 * change fields other than ...` (reference §3.5). Here the account is the one field checked, and
 * the denial is a 403 naming it. Both names are compared after the v1 conversion rule, so dropping
 * the deprecated `spec.serviceAccount` alias is not a change.
 */
function validateServiceAccountNameUnchanged(request: AdmissionRequest): void {
  if (!request.oldPod) return;
  if (effectiveServiceAccountName(request.pod) === effectiveServiceAccountName(request.oldPod)) return;
  throw forbidden(
    request.pod,
    fieldErrorString(fieldError.forbidden("spec.serviceAccountName", "field is immutable")),
  );
}

/**
 * The validating phase with an optional account already looked up by the mutating phase (so that
 * one admission call reads the account once).
 */
async function validatePod(
  request: AdmissionRequest,
  pod: corev1.Pod,
  deps: ValidateDeps,
  known?: corev1.ServiceAccount,
): Promise<void> {
  const { namespace } = request;
  const limit = deps.limitSecretReferences ?? false;

  if (request.operation === "UPDATE" && request.subresource === EphemeralContainersSubresource) {
    const name = effectiveServiceAccountName(pod);
    if (name === "") throw noServiceAccount(pod, namespace);
    const sa = await lookUp(deps, namespace, name, pod);
    if (!enforceMountableSecrets(sa, limit)) return;
    const err = limitEphemeralContainerSecretReferences(sa, pod);
    if (err) throw forbidden(pod, err);
    return;
  }
  if (request.operation === "UPDATE") {
    validateServiceAccountNameUnchanged(request);
    return;
  }
  if (request.operation !== "CREATE") return;

  if (isMirrorPod(pod)) {
    validateMirrorPod(pod);
    return;
  }
  const name = effectiveServiceAccountName(pod);
  // Reached only when the mutating phase did not run (validate called on its own).
  if (name === "") throw noServiceAccount(pod, namespace);
  const sa = known ?? (await lookUp(deps, namespace, name, pod));
  if (enforceMountableSecrets(sa, limit)) {
    const err = limitSecretReferences(sa, pod);
    if (err) throw forbidden(pod, err);
  }
}

/**
 * The validating phase alone (Kubernetes' `Validate`, reference §3.2): CREATE of a pod — mirror
 * pod restrictions, a service account must be named and exist, mountable secrets when enforced;
 * UPDATE of `ephemeralcontainers` — the same for ephemeral containers' env; UPDATE of the pod —
 * `spec.serviceAccountName` must not change. Throws the 403 `StatusError`; resolves when allowed.
 */
export async function validate(request: AdmissionRequest, deps: ValidateDeps): Promise<void> {
  if (shouldIgnore(request)) return;
  await validatePod(request, request.pod, deps);
}

/**
 * The plugin (Kubernetes' `Admit`, then `Validate`; reference §3.1–§3.3). On CREATE of a pod that
 * is not a mirror pod it returns a copy with:
 * 1. `spec.serviceAccountName` defaulted to `default` (and the deprecated `spec.serviceAccount`
 *    set to the same name, as core/v1 conversion does);
 * 2. the account looked up — a failure is 403 `error looking up service account <ns>/<sa>: <err>`;
 * 3. the projected token volume and mounts when `mountServiceAccountToken` and the automount
 *    decision ({@link shouldAutomount}) allow;
 * 4. `spec.imagePullSecrets` copied from the account (names only) when the pod has none;
 * and then validates it. Other requests are validated only and returned as unchanged copies.
 * The request's objects are never modified.
 */
export async function admit(request: AdmissionRequest, deps: AdmitDeps): Promise<AdmitResult> {
  const pod = clone(corev1.PodSchema, request.pod);
  if (shouldIgnore(request)) return { pod, warnings: [] };
  if (request.operation !== "CREATE" || isMirrorPod(pod)) {
    // Only pod creation is mutated; mirror pods are never changed either, because the kubelet
    // deletes a mirror pod whose spec differs from its static pod.
    await validatePod(request, pod, deps);
    return { pod, warnings: [] };
  }

  pod.spec ??= create(corev1.PodSpecSchema);
  const spec = pod.spec;
  spec.serviceAccountName = effectiveServiceAccountName(pod) || DefaultServiceAccountName;
  spec.serviceAccount = spec.serviceAccountName;

  const sa = await lookUp(deps, request.namespace, spec.serviceAccountName, pod);
  if ((deps.mountServiceAccountToken ?? true) && shouldAutomount(sa, pod)) {
    mountServiceAccountToken(spec, deps.generateName ?? ((prefix) => simpleNameGenerator(prefix)));
  }
  if (spec.imagePullSecrets.length === 0) {
    // Names only, and never merged into a non-empty list (reference §3.1 step 5, §11.10).
    spec.imagePullSecrets = sa.imagePullSecrets.map((ref) =>
      create(corev1.LocalObjectReferenceSchema, { name: ref.name }),
    );
  }

  await validatePod(request, pod, deps, sa);
  return { pod, warnings: [] };
}
