/**
 * Pod (pkg/registry/core/pod/strategy.go): v1 defaulting, phase Pending and the QoS class on
 * create, generation 1 bumped on spec changes, spec immutability on update, the `status` and
 * `ephemeralcontainers` subresources, and graceful deletion (CheckGracefulDelete).
 */
import { clone, create, equals } from "@bufbuild/protobuf";
import { fieldError, isDNS1123Label, isDNS1123Subdomain } from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import type { Strategy } from "../strategy.js";
import { defaultPod, defaultTerminationGracePeriodSeconds } from "./pod-defaults.js";
import {
  validateEphemeralContainersUpdate,
  validatePodCreate,
  validatePodStatusUpdate,
  validatePodUpdate,
} from "./pod-validation.js";
import type { PodValidationOptions } from "./pod-volumes.js";

/** `qos.GetPodQOS`, on cpu and memory: BestEffort without any, Guaranteed when every container's requests equal its limits for both. */
export function podQOSClass(spec: corev1.PodSpec | undefined): string {
  const containers = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
  const tracked = ["cpu", "memory"];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const limits = c.resources?.limits ?? {};
    const requests = c.resources?.requests ?? {};
    for (const r of tracked) {
      if (limits[r] || requests[r]) any = true;
      const l = limits[r]?.string;
      const q = requests[r]?.string ?? l;
      if (l === undefined || q !== l) guaranteed = false;
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

function specChanged(pod: corev1.Pod, old: corev1.Pod): boolean {
  if (!pod.spec || !old.spec) return pod.spec !== old.spec;
  return !equals(corev1.PodSpecSchema, pod.spec, old.spec);
}

/** updatePodGeneration: any spec change bumps the generation. */
function bumpGeneration(pod: corev1.Pod, old: corev1.Pod): void {
  if (specChanged(pod, old)) pod.metadata!.generation = (old.metadata?.generation ?? 0n) + 1n;
}

/** `metav1.ResetObjectMetaForStatus`: a subresource write keeps the old labels, annotations, owners. */
function resetMetaForSubresource(pod: corev1.Pod, old: corev1.Pod): void {
  const m = pod.metadata!;
  const o = old.metadata!;
  m.generation = o.generation;
  m.labels = { ...o.labels };
  m.annotations = { ...o.annotations };
  m.finalizers = [...o.finalizers];
  m.ownerReferences = o.ownerReferences;
}

export const podStrategy: Strategy<corev1.Pod> = {
  validateName: (name) => isDNS1123Subdomain(name),
  default: defaultPod,
  prepareForCreate(pod) {
    pod.metadata!.generation = 1n;
    pod.status = create(corev1.PodStatusSchema, { phase: "Pending", qosClass: podQOSClass(pod.spec) });
  },
  validate: validatePodCreate,
  warningsOnCreate(pod) {
    const name = pod.metadata?.name ?? "";
    const msgs = isDNS1123Label(name);
    if (msgs.length === 0) return [];
    // Go prints the []string with %v: `[a b]`.
    return [
      `metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label is recommended: [${msgs.join(" ")}]`,
    ];
  },
  prepareForUpdate(pod, old) {
    pod.status = old.status;
    bumpGeneration(pod, old);
  },
  validateUpdate: validatePodUpdate,
  allowCreateOnUpdate: false,
  allowUnconditionalUpdate: true,
  subresources: {
    status: {
      prepareForUpdate(pod, old) {
        pod.spec = old.spec;
        // Old kubelets corrupted owner references through /status.
        pod.metadata!.ownerReferences = old.metadata!.ownerReferences;
        // The QoS class is set once at creation; backfill it when a client dropped it.
        if (pod.status && !pod.status.qosClass) pod.status.qosClass = old.status?.qosClass ?? "";
      },
      validateUpdate: validatePodStatusUpdate,
    },
    // pods/binding (BindingREST.setPodHostAndAnnotations): the only way spec.nodeName is set
    // after creation. The Api checks "already assigned" with Kubernetes' 409 text first.
    binding: {
      prepareForUpdate(pod, old) {
        const nodeName = pod.spec?.nodeName ?? "";
        const conditions = pod.status?.conditions ?? [];
        pod.spec = old.spec ? clone(corev1.PodSpecSchema, old.spec) : create(corev1.PodSpecSchema);
        pod.spec.nodeName = nodeName;
        pod.status = old.status ? clone(corev1.PodStatusSchema, old.status) : create(corev1.PodStatusSchema);
        pod.status.conditions = conditions;
        resetMetaForSubresource(pod, old);
      },
      validateUpdate(pod, old) {
        const oldNode = old.spec?.nodeName ?? "";
        if (oldNode !== "" && oldNode !== (pod.spec?.nodeName ?? "")) {
          return [fieldError.forbidden("spec.nodeName", `pod is already assigned to node "${oldNode}"`)];
        }
        return [];
      },
    },
    ephemeralcontainers: {
      prepareForUpdate(pod, old) {
        const eph = pod.spec?.ephemeralContainers ?? [];
        pod.spec = old.spec ? clone(corev1.PodSpecSchema, old.spec) : create(corev1.PodSpecSchema);
        pod.spec.ephemeralContainers = eph;
        pod.status = old.status;
        resetMetaForSubresource(pod, old);
        bumpGeneration(pod, old);
      },
      validateUpdate: validateEphemeralContainersUpdate,
    },
  },
  gracefulDeletePeriod(pod, requested) {
    // CheckGracefulDelete: the request, else the pod's own period (defaulted to 30 s).
    let period =
      requested ??
      Number(pod.spec?.terminationGracePeriodSeconds ?? BigInt(defaultTerminationGracePeriodSeconds));
    // An unscheduled pod has no kubelet to confirm its end; a finished one has nothing to stop.
    if (!pod.spec?.nodeName) period = 0;
    const phase = pod.status?.phase;
    if (phase === "Succeeded" || phase === "Failed") period = 0;
    // Negative values mean "as fast as possible", which the kubelet reads as 1 s.
    if (period < 0) period = 1;
    return period;
  },
};

/** The pod strategy with validation settings from the apiserver's flags. */
export function createPodStrategy(opts: PodValidationOptions): Strategy<corev1.Pod> {
  return { ...podStrategy, validate: (pod) => validatePodCreate(pod, opts) };
}
