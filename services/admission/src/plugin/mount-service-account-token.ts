/**
 * The projected token volume and the mounts the plugin injects (reference §3.3), and the automount
 * decision that gates them (reference §3.1 `shouldAutomount`).
 */
import { create } from "@bufbuild/protobuf";
import { corev1 } from "@tokenplane/proto";
import {
  DefaultAPITokenMountPath,
  ProjectedVolumeSourceDefaultMode,
  RootCAConfigMapKey,
  RootCAConfigMapName,
  ServiceAccountVolumeNamePrefix,
  WarnOnlyBoundTokenExpirationSeconds,
} from "./constants.js";

/**
 * Whether the token is mounted: the pod's `automountServiceAccountToken` when set (the pod wins),
 * else the ServiceAccount's when set, else true (reference §3.1).
 */
export function shouldAutomount(sa: corev1.ServiceAccount, pod: corev1.Pod): boolean {
  const podSetting = pod.spec?.automountServiceAccountToken;
  if (podSetting !== undefined) return podSetting;
  if (sa.automountServiceAccountToken !== undefined) return sa.automountServiceAccountToken;
  return true;
}

/**
 * A new copy of the projected volume source Kubernetes' `TokenVolumeSource()` builds, exactly:
 * `defaultMode` 420 (0644) and the sources, in order, `serviceAccountToken {path "token",
 * expirationSeconds 3607}` (no audience: the API's own), `configMap kube-root-ca.crt` with item
 * `ca.crt → ca.crt`, `downwardAPI` with `namespace ← metadata.namespace` (reference §3.3 step 4).
 */
export function tokenVolumeSource(): corev1.ProjectedVolumeSource {
  return create(corev1.ProjectedVolumeSourceSchema, {
    defaultMode: ProjectedVolumeSourceDefaultMode,
    sources: [
      {
        serviceAccountToken: {
          path: "token",
          expirationSeconds: BigInt(WarnOnlyBoundTokenExpirationSeconds),
        },
      },
      {
        configMap: {
          localObjectReference: { name: RootCAConfigMapName },
          items: [{ key: RootCAConfigMapKey, path: RootCAConfigMapKey }],
        },
      },
      {
        downwardAPI: {
          items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }],
        },
      },
    ],
  });
}

/** Mounts the token volume into `volumeMounts` unless something is already mounted at the path. */
function ensureMount(volumeMounts: corev1.VolumeMount[], volumeName: string): boolean {
  // Any existing mount at the exact path wins, whatever volume it mounts (reference §3.3 step 3).
  if (volumeMounts.some((m) => m.mountPath === DefaultAPITokenMountPath)) return false;
  volumeMounts.push(
    create(corev1.VolumeMountSchema, {
      name: volumeName,
      readOnly: true,
      mountPath: DefaultAPITokenMountPath,
    }),
  );
  return true;
}

/**
 * Injects the token into `spec`, which it modifies (pass a copy), following reference §3.3:
 * 1. the first volume whose name starts with `kube-api-access-` is reused as it is (its content is
 *    not checked); otherwise a name is made with `generateName("kube-api-access-")`;
 * 2. every init container, then every container, without a mount at
 *    `/var/run/secrets/kubernetes.io/serviceaccount` gets `{name, readOnly: true, mountPath}`
 *    appended; ephemeral containers are never touched;
 * 3. the projected volume ({@link tokenVolumeSource}) is appended to `spec.volumes` only when some
 *    container got the mount and no volume was reused.
 *
 * @param generateName makes a volume name from the prefix (Kubernetes' SimpleNameGenerator).
 */
export function mountServiceAccountToken(
  spec: corev1.PodSpec,
  generateName: (prefix: string) => string,
): void {
  const existing = spec.volumes.find((v) => v.name.startsWith(ServiceAccountVolumeNamePrefix));
  // As in Kubernetes, the name is generated whether or not a container turns out to need it.
  const volumeName = existing ? existing.name : generateName(ServiceAccountVolumeNamePrefix);

  let needsTokenVolume = false;
  for (const c of spec.initContainers)
    needsTokenVolume = ensureMount(c.volumeMounts, volumeName) || needsTokenVolume;
  for (const c of spec.containers)
    needsTokenVolume = ensureMount(c.volumeMounts, volumeName) || needsTokenVolume;

  if (needsTokenVolume && !existing) {
    spec.volumes.push(
      create(corev1.VolumeSchema, {
        name: volumeName,
        volumeSource: { projected: tokenVolumeSource() },
      }),
    );
  }
}
