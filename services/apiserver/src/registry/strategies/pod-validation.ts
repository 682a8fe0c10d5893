/**
 * Pod validation (pkg/apis/core/validation/validation.go ValidatePodCreate, ValidatePodUpdate,
 * ValidatePodStatusUpdate, ValidatePodEphemeralContainersUpdate) for the modelled subset, with
 * Kubernetes' paths and texts. The update rule keeps the spec immutable except images,
 * activeDeadlineSeconds, added tolerations and a negative grace period set to 1 (reference §3.5).
 */
import { clone, create, equals } from "@bufbuild/protobuf";
import {
  type FieldError,
  FieldPath,
  fieldError,
  goQuote,
  inclusiveRangeError,
  isDNS1123Label,
  isDNS1123Subdomain,
  isValidPortNum,
  toK8sJson,
} from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import { validateMetaCreate, validateMetaUpdate } from "../meta-validation.js";
import { forbidInitContainerProbes, validateContainerProbes } from "./pod-probes.js";
import { type PodValidationOptions, validateVolumes } from "./pod-volumes.js";

const spec = FieldPath.root("spec");

/** The fields a pod update may change, as the Forbidden text lists them (Kubernetes 1.29+). */
export const podUpdatableFieldsText =
  "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

const pullPolicies = ["Always", "IfNotPresent", "Never"];
const restartPolicies = ["Always", "OnFailure", "Never"];
const dnsPolicies = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
const messagePolicies = ["File", "FallbackToLogsOnError"];
const protocols = ["TCP", "UDP", "SCTP"];

type ContainerLike = corev1.Container | corev1.EphemeralContainerCommon;

/** An enum field: Required when empty, NotSupported when unknown. */
function oneOf(value: string, supported: readonly string[], fld: FieldPath): FieldError[] {
  if (!value) return [fieldError.required(fld)];
  return supported.includes(value) ? [] : [fieldError.notSupported(fld, value, supported)];
}

/** `ValidateVolumeMounts`: a known volume, a unique mountPath; subPath stays inside the volume. */
function validateVolumeMounts(
  mounts: readonly corev1.VolumeMount[],
  volumes: Set<string>,
  fld: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  const mountPoints = new Set<string>();
  mounts.forEach((m, i) => {
    const p = fld.index(i);
    if (!m.name) errs.push(fieldError.required(p.child("name")));
    if (!volumes.has(m.name)) errs.push(fieldError.notFound(p.child("name"), m.name));
    if (!m.mountPath) errs.push(fieldError.required(p.child("mountPath")));
    if (mountPoints.has(m.mountPath))
      errs.push(fieldError.invalid(p.child("mountPath"), m.mountPath, "must be unique"));
    mountPoints.add(m.mountPath);
    if (m.subPath) {
      if (m.subPath.startsWith("/"))
        errs.push(fieldError.invalid(fld.child("subPath"), m.subPath, "must be a relative path"));
      if (m.subPath.split("/").includes(".."))
        errs.push(fieldError.invalid(fld.child("subPath"), m.subPath, "must not contain '..'"));
    }
  });
  return errs;
}

/** `validateContainerCommon` plus `validateContainerOnlyForPod`. */
function validateContainerCommon(c: ContainerLike, volumes: Set<string>, p: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const namePath = p.child("name");
  if (!c.name) errs.push(fieldError.required(namePath));
  else for (const msg of isDNS1123Label(c.name)) errs.push(fieldError.invalid(namePath, c.name, msg));
  if (!c.image) errs.push(fieldError.required(p.child("image")));
  errs.push(...oneOf(c.terminationMessagePolicy, messagePolicies, p.child("terminationMessagePolicy")));
  c.ports.forEach((port, i) => {
    const pp = p.child("ports").index(i);
    if (port.containerPort === 0) errs.push(fieldError.required(pp.child("containerPort")));
    else {
      for (const msg of isValidPortNum(port.containerPort))
        errs.push(fieldError.invalid(pp.child("containerPort"), port.containerPort, msg));
    }
    errs.push(...oneOf(port.protocol, protocols, pp.child("protocol")));
  });
  c.env.forEach((e, i) => {
    if (!e.name) errs.push(fieldError.required(p.child("env").index(i).child("name")));
  });
  errs.push(...validateVolumeMounts(c.volumeMounts, volumes, p.child("volumeMounts")));
  errs.push(...oneOf(c.imagePullPolicy, pullPolicies, p.child("imagePullPolicy")));
  // validateContainerOnlyForPod: pod templates may carry " " images, pods may not.
  if (c.image.trim().length !== c.image.length) {
    errs.push(fieldError.invalid(p.child("image"), c.image, "must not have leading or trailing whitespace"));
  }
  return errs;
}

/**
 * `validateContainers` / `validateInitContainers`: names unique across both lists; hooks and
 * probes are validated on regular containers and forbidden on (non-sidecar) init containers.
 */
function validateContainerList(
  list: readonly corev1.Container[],
  volumes: Set<string>,
  names: Set<string>,
  fld: FieldPath,
  init: boolean,
  gracePeriod: bigint | undefined,
): FieldError[] {
  if (!init && list.length === 0) return [fieldError.required(fld)];
  const errs: FieldError[] = [];
  list.forEach((c, i) => {
    const p = fld.index(i);
    errs.push(...validateContainerCommon(c, volumes, p));
    if (names.has(c.name)) errs.push(fieldError.duplicate(p.child("name"), c.name));
    else names.add(c.name);
    errs.push(...(init ? forbidInitContainerProbes(c, p) : validateContainerProbes(c, gracePeriod, p)));
  });
  return errs;
}

/** `validateEphemeralContainers`: unique names, an existing target, no ports or resources, no subPath. */
function validateEphemeralContainers(
  podSpec: corev1.PodSpec,
  volumes: Set<string>,
  names: Set<string>,
): FieldError[] {
  const errs: FieldError[] = [];
  const others = new Set(names);
  podSpec.ephemeralContainers.forEach((ec, i) => {
    const p = spec.child("ephemeralContainers").index(i);
    const c = ec.ephemeralContainerCommon;
    const name = c?.name ?? "";
    if (c) errs.push(...validateContainerCommon(c, volumes, p));
    if (names.has(name)) errs.push(fieldError.duplicate(p.child("name"), name));
    else names.add(name);
    if (ec.targetContainerName && !others.has(ec.targetContainerName)) {
      errs.push(fieldError.notFound(p.child("targetContainerName"), ec.targetContainerName));
    }
    const forbidden = "cannot be set for an Ephemeral Container";
    if (c?.ports.length) errs.push(fieldError.forbidden(p.child("ports"), forbidden));
    const res = c?.resources;
    if (res && (Object.keys(res.limits).length || Object.keys(res.requests).length)) {
      errs.push(fieldError.forbidden(p.child("resources"), forbidden));
    }
    // validateFieldAllowList walks the struct in field order: the probes, then lifecycle.
    for (const name of ["livenessProbe", "readinessProbe", "startupProbe", "lifecycle"] as const) {
      if (c?.[name]) errs.push(fieldError.forbidden(p.child(name), forbidden));
    }
    c?.volumeMounts.forEach((vm, j) => {
      if (vm.subPath)
        errs.push(fieldError.forbidden(p.child("volumeMounts").index(j).child("subPath"), forbidden));
      if (vm.subPathExpr)
        errs.push(fieldError.forbidden(p.child("volumeMounts").index(j).child("subPathExpr"), forbidden));
    });
  });
  return errs;
}

/** `ValidatePodSpec` (the modelled part). */
export function validatePodSpec(podSpec: corev1.PodSpec, opts: PodValidationOptions = {}): FieldError[] {
  const { errs, names: volumes } = validateVolumes(podSpec.volumes, spec.child("volumes"), opts);
  const names = new Set<string>();
  // Kubernetes passes the pod's grace period pointer on; a nil one skips the sleep-hook bound.
  const grace = podSpec.terminationGracePeriodSeconds;
  errs.push(
    ...validateContainerList(podSpec.containers, volumes, names, spec.child("containers"), false, grace),
  );
  errs.push(
    ...validateContainerList(
      podSpec.initContainers,
      volumes,
      names,
      spec.child("initContainers"),
      true,
      grace,
    ),
  );
  errs.push(...validateEphemeralContainers(podSpec, volumes, names));
  errs.push(...oneOf(podSpec.restartPolicy, restartPolicies, spec.child("restartPolicy")));
  errs.push(...oneOf(podSpec.dnsPolicy, dnsPolicies, spec.child("dnsPolicy")));
  podSpec.imagePullSecrets.forEach((s, i) => {
    if (!s.name) errs.push(fieldError.required(spec.child("imagePullSecrets").index(i).child("name")));
  });
  if (podSpec.serviceAccountName) {
    for (const msg of isDNS1123Subdomain(podSpec.serviceAccountName)) {
      errs.push(fieldError.invalid(spec.child("serviceAccountName"), podSpec.serviceAccountName, msg));
    }
  }
  if (podSpec.nodeName) {
    for (const msg of isDNS1123Subdomain(podSpec.nodeName))
      errs.push(fieldError.invalid(spec.child("nodeName"), podSpec.nodeName, msg));
  }
  const ads = podSpec.activeDeadlineSeconds;
  if (ads !== undefined && (ads < 1n || ads > 2147483647n)) {
    errs.push(
      fieldError.invalid(spec.child("activeDeadlineSeconds"), ads, inclusiveRangeError(1, 2147483647)),
    );
  }
  if (podSpec.hostname)
    for (const msg of isDNS1123Label(podSpec.hostname))
      errs.push(fieldError.invalid(spec.child("hostname"), podSpec.hostname, msg));
  if (podSpec.subdomain)
    for (const msg of isDNS1123Label(podSpec.subdomain))
      errs.push(fieldError.invalid(spec.child("subdomain"), podSpec.subdomain, msg));
  return errs;
}

const specOf = (pod: corev1.Pod) => pod.spec ?? create(corev1.PodSpecSchema);

/** `ValidatePodCreate`: metadata, spec, and no ephemeral containers yet. */
export function validatePodCreate(pod: corev1.Pod, opts: PodValidationOptions = {}): FieldError[] {
  const errs = [
    ...validateMetaCreate(pod.metadata, true, (n) => isDNS1123Subdomain(n)),
    ...validatePodSpec(specOf(pod), opts),
  ];
  if (specOf(pod).ephemeralContainers.length > 0) {
    errs.push(fieldError.forbidden(spec.child("ephemeralContainers"), "cannot be set on create"));
  }
  return errs;
}

/** `validateOnlyAddedTolerations`: existing tolerations stay, except their tolerationSeconds. */
function validateOnlyAddedTolerations(
  next: readonly corev1.Toleration[],
  old: readonly corev1.Toleration[],
): FieldError[] {
  for (const o of old) {
    const found = next.some((n) => {
      const copy = clone(corev1.TolerationSchema, o);
      if (n.tolerationSeconds === undefined)
        delete (copy as { tolerationSeconds?: bigint }).tolerationSeconds;
      else copy.tolerationSeconds = n.tolerationSeconds;
      return equals(corev1.TolerationSchema, copy, n);
    });
    if (!found) {
      return [
        fieldError.forbidden(
          spec.child("tolerations"),
          "existing toleration can not be modified except its tolerationSeconds",
        ),
      ];
    }
  }
  return [];
}

/**
 * A short description of how two specs differ, in the spirit of the `cmp.Diff` Kubernetes
 * appends (its exact Go rendering is not reproduced; clients match the prefix, reference §10).
 */
function specDiff(old: corev1.PodSpec, next: corev1.PodSpec): string {
  const a = toK8sJson(corev1.PodSpecSchema, old, false);
  const b = toK8sJson(corev1.PodSpecSchema, next, false);
  const lines = ["  core.PodSpec{"];
  let same = 0;
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])]) {
    const x = JSON.stringify(a[key] ?? null);
    const y = JSON.stringify(b[key] ?? null);
    if (x === y) {
      same++;
      continue;
    }
    lines.push(`- \t${key}: ${x},`, `+ \t${key}: ${y},`);
  }
  if (same) lines.push(`  \t... // ${same} identical fields`);
  lines.push("  }");
  return lines.join("\n");
}

/** `ValidatePodUpdate`. */
export function validatePodUpdate(pod: corev1.Pod, old: corev1.Pod): FieldError[] {
  const errs = [...validateMetaUpdate(pod.metadata!, old.metadata!), ...validatePodSpec(specOf(pod))];
  const next = specOf(pod);
  const prev = specOf(old);
  for (const [name, a, b] of [
    ["containers", next.containers, prev.containers],
    ["initContainers", next.initContainers, prev.initContainers],
  ] as const) {
    // ValidateContainerUpdates: the container list itself may not change shape.
    if (a.length !== b.length) {
      errs.push(fieldError.forbidden(spec.child(name), "pod updates may not add or remove containers"));
      return errs;
    }
  }
  const ads = next.activeDeadlineSeconds;
  if (ads !== undefined) {
    if (ads < 0n || ads > 2147483647n) {
      errs.push(
        fieldError.invalid(spec.child("activeDeadlineSeconds"), ads, inclusiveRangeError(0, 2147483647)),
      );
      return errs;
    }
    if (prev.activeDeadlineSeconds !== undefined && prev.activeDeadlineSeconds < ads) {
      errs.push(
        fieldError.invalid(
          spec.child("activeDeadlineSeconds"),
          ads,
          "must be less than or equal to previous value",
        ),
      );
      return errs;
    }
  } else if (prev.activeDeadlineSeconds !== undefined) {
    errs.push(
      fieldError.invalid(
        spec.child("activeDeadlineSeconds"),
        null,
        "must not update from a positive integer to nil value",
      ),
    );
  }
  errs.push(...validateOnlyAddedTolerations(next.tolerations, prev.tolerations));

  // Copy the mutable fields back from the old spec; anything still different was not allowed.
  const munged = clone(corev1.PodSpecSchema, next);
  munged.containers.forEach((c, i) => {
    c.image = prev.containers[i]!.image;
  });
  munged.initContainers.forEach((c, i) => {
    c.image = prev.initContainers[i]!.image;
  });
  if (prev.activeDeadlineSeconds === undefined)
    delete (munged as { activeDeadlineSeconds?: bigint }).activeDeadlineSeconds;
  else munged.activeDeadlineSeconds = prev.activeDeadlineSeconds;
  munged.tolerations = prev.tolerations.map((t) => clone(corev1.TolerationSchema, t));
  const oldGrace = prev.terminationGracePeriodSeconds;
  if (oldGrace !== undefined && oldGrace < 0n && munged.terminationGracePeriodSeconds === 1n) {
    munged.terminationGracePeriodSeconds = oldGrace;
  }
  if (!equals(corev1.PodSpecSchema, munged, prev)) {
    errs.push(fieldError.forbidden(spec, `${podUpdatableFieldsText}\n${specDiff(prev, munged)}`));
  }
  return errs;
}

/** `ValidatePodStatusUpdate` (the modelled part): metadata rules, nodeName unchanged. */
export function validatePodStatusUpdate(pod: corev1.Pod, old: corev1.Pod): FieldError[] {
  const errs = validateMetaUpdate(pod.metadata!, old.metadata!);
  if ((pod.spec?.nodeName ?? "") !== (old.spec?.nodeName ?? "")) {
    errs.push(
      fieldError.forbidden(FieldPath.root("status").child("nodeName"), "may not be changed directly"),
    );
  }
  return errs;
}

/** `ValidatePodEphemeralContainersUpdate`: existing ephemeral containers stay as they are. */
export function validateEphemeralContainersUpdate(pod: corev1.Pod, old: corev1.Pod): FieldError[] {
  const errs = [...validateMetaUpdate(pod.metadata!, old.metadata!), ...validatePodSpec(specOf(pod))];
  if (Object.hasOwn(old.metadata?.annotations ?? {}, "kubernetes.io/config.mirror")) {
    return [fieldError.forbidden("", "static pods do not support ephemeral containers")];
  }
  const byName = new Map(
    specOf(pod).ephemeralContainers.map((e) => [e.ephemeralContainerCommon?.name ?? "", e]),
  );
  const path = spec.child("ephemeralContainers");
  for (const o of specOf(old).ephemeralContainers) {
    const name = o.ephemeralContainerCommon?.name ?? "";
    const n = byName.get(name);
    if (!n) {
      errs.push(
        fieldError.forbidden(path, `existing ephemeral containers ${goQuote(name)} may not be removed\n`),
      );
    } else if (!equals(corev1.EphemeralContainerSchema, o, n)) {
      errs.push(
        fieldError.forbidden(path, `existing ephemeral containers ${goQuote(name)} may not be changed\n`),
      );
    }
  }
  return errs;
}
