/**
 * The v1 defaulting of Pods for the fields tokenplane models (pkg/apis/core/v1/defaults.go
 * SetDefaults_Pod, _PodSpec, _Container, _Probe, _HTTPGetAction, _Volume, _SecretVolumeSource, ...),
 * plus the v1
 * conversion that keeps the deprecated `spec.serviceAccount` equal to `serviceAccountName`
 * (reference §3.5). Idempotent.
 */
import { create } from "@bufbuild/protobuf";
import { corev1, resource } from "@tokenplane/proto";

/** `DefaultTerminationGracePeriodSeconds`. */
export const defaultTerminationGracePeriodSeconds = 30;
/** `TerminationMessagePathDefault`. */
export const terminationMessagePathDefault = "/dev/termination-log";
/** `DefaultSchedulerName`. */
export const defaultSchedulerName = "default-scheduler";
/** 0644: the default file mode of secret, configMap, downwardAPI and projected volumes. */
export const defaultVolumeMode = 0o644;
/** The default lifetime of a projected service account token (SetDefaults_ServiceAccountTokenProjection). */
export const defaultProjectedTokenSeconds = 3600n;

/**
 * The tag `ParseImageName` finds: after the last `:` of the last path element, before any
 * digest; "latest" when neither a tag nor a digest is given.
 */
export function imageTag(image: string): string {
  const at = image.indexOf("@");
  const name = at >= 0 ? image.slice(0, at) : image;
  const last = name.slice(name.lastIndexOf("/") + 1);
  const colon = last.indexOf(":");
  const tag = colon >= 0 ? last.slice(colon + 1) : "";
  return tag === "" && at < 0 ? "latest" : tag;
}

type ContainerLike = corev1.Container | corev1.EphemeralContainerCommon;

/**
 * SetDefaults_HTTPGetAction (pkg/apis/core/v1/defaults.go): an empty path is "/", an empty
 * scheme is "HTTP". Applies to probe and lifecycle handlers alike.
 */
function defaultHttpGet(h: corev1.HTTPGetAction | undefined): void {
  if (!h) return;
  if (!h.path) h.path = "/";
  if (!h.scheme) h.scheme = "HTTP";
}

/**
 * SetDefaults_Probe (pkg/apis/core/v1/defaults.go): timeoutSeconds 1, periodSeconds 10,
 * successThreshold 1 and failureThreshold 3 when zero; then the handler's own defaults
 * (HTTPGetAction above, and GRPCAction.service `+default=""` from the generated defaulters).
 */
function defaultProbe(p: corev1.Probe | undefined): void {
  if (!p) return;
  if (p.timeoutSeconds === 0) p.timeoutSeconds = 1;
  if (p.periodSeconds === 0) p.periodSeconds = 10;
  if (p.successThreshold === 0) p.successThreshold = 1;
  if (p.failureThreshold === 0) p.failureThreshold = 3;
  defaultHttpGet(p.handler?.httpGet);
  const grpc = p.handler?.grpc;
  if (grpc && grpc.service === undefined) grpc.service = "";
}

/** SetDefaults_Container (and the EphemeralContainerCommon equivalent), SetDefaults_ContainerPort. */
function defaultContainer(c: ContainerLike): void {
  if (!c.imagePullPolicy) c.imagePullPolicy = imageTag(c.image) === "latest" ? "Always" : "IfNotPresent";
  if (!c.terminationMessagePath) c.terminationMessagePath = terminationMessagePathDefault;
  if (!c.terminationMessagePolicy) c.terminationMessagePolicy = "File";
  for (const p of c.ports) if (!p.protocol) p.protocol = "TCP";
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  defaultHttpGet(c.lifecycle?.postStart?.httpGet);
  defaultHttpGet(c.lifecycle?.preStop?.httpGet);
  for (const e of c.env)
    if (e.valueFrom?.fieldRef && !e.valueFrom.fieldRef.apiVersion) e.valueFrom.fieldRef.apiVersion = "v1";
  // SetDefaults_Pod: limits without requests default the requests.
  const res = c.resources;
  if (res) {
    for (const [name, q] of Object.entries(res.limits)) {
      if (!res.requests[name]) res.requests[name] = create(resource.QuantitySchema, { string: q.string });
    }
  }
}

function defaultDownwardFiles(items: readonly corev1.DownwardAPIVolumeFile[]): void {
  for (const f of items) if (f.fieldRef && !f.fieldRef.apiVersion) f.fieldRef.apiVersion = "v1";
}

/** SetDefaults_Volume and the per-source defaults. */
function defaultVolume(v: corev1.Volume): void {
  const src = v.volumeSource ?? create(corev1.VolumeSourceSchema);
  v.volumeSource = src;
  if (!src.hostPath && !src.emptyDir && !src.secret && !src.downwardAPI && !src.configMap && !src.projected) {
    // A volume without a source is an emptyDir (SetDefaults_Volume).
    src.emptyDir = create(corev1.EmptyDirVolumeSourceSchema);
  }
  if (src.hostPath && src.hostPath.type === undefined) src.hostPath.type = "";
  if (src.secret && src.secret.defaultMode === undefined) src.secret.defaultMode = defaultVolumeMode;
  if (src.configMap && src.configMap.defaultMode === undefined) src.configMap.defaultMode = defaultVolumeMode;
  if (src.downwardAPI) {
    if (src.downwardAPI.defaultMode === undefined) src.downwardAPI.defaultMode = defaultVolumeMode;
    defaultDownwardFiles(src.downwardAPI.items);
  }
  if (src.projected) {
    if (src.projected.defaultMode === undefined) src.projected.defaultMode = defaultVolumeMode;
    for (const s of src.projected.sources) {
      if (s.serviceAccountToken && s.serviceAccountToken.expirationSeconds === undefined) {
        s.serviceAccountToken.expirationSeconds = defaultProjectedTokenSeconds;
      }
      if (s.downwardAPI) defaultDownwardFiles(s.downwardAPI.items);
    }
  }
}

/** Applies the v1 pod defaults in place. */
export function defaultPod(pod: corev1.Pod): void {
  const spec = pod.spec ?? create(corev1.PodSpecSchema);
  pod.spec = spec;
  if (!spec.dnsPolicy) spec.dnsPolicy = "ClusterFirst";
  if (!spec.restartPolicy) spec.restartPolicy = "Always";
  if (!spec.securityContext) spec.securityContext = create(corev1.PodSecurityContextSchema);
  if (spec.terminationGracePeriodSeconds === undefined) {
    spec.terminationGracePeriodSeconds = BigInt(defaultTerminationGracePeriodSeconds);
  }
  if (!spec.schedulerName) spec.schedulerName = defaultSchedulerName;
  if (spec.enableServiceLinks === undefined) spec.enableServiceLinks = true;
  // v1 conversion: serviceAccountName wins; the deprecated alias fills it when it is empty, and
  // is written back equal to it.
  if (!spec.serviceAccountName && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
  spec.serviceAccount = spec.serviceAccountName;
  for (const c of spec.initContainers) defaultContainer(c);
  for (const c of spec.containers) defaultContainer(c);
  for (const e of spec.ephemeralContainers) {
    if (!e.ephemeralContainerCommon)
      e.ephemeralContainerCommon = create(corev1.EphemeralContainerCommonSchema);
    defaultContainer(e.ephemeralContainerCommon);
  }
  for (const v of spec.volumes) defaultVolume(v);
}
