/**
 * Who owns a projected volume's files and with which modes, as the kubelet decides
 * (pkg/volume/projected/projected.go, pkg/volume/util.FsUserFrom, pkg/volume/volume_linux.go
 * SetVolumeOwnership; reference §5 "File modes"):
 *
 * | pod security context        | token file                           |
 * | --------------------------- | ------------------------------------ |
 * | runAsUser (all containers)  | `-rw-------` (0600), owner that uid  |
 * | fsGroup                     | `-rw-r-----` (0640), group fsGroup   |
 * | both                        | `-rw-r-----` (0640), uid and group   |
 * | neither                     | `-rw-r--r--` (defaultMode, 0644)     |
 *
 * The token starts at 0600 whenever a fsUser or fsGroup is set; SetVolumeOwnership then gives every
 * file of the (read-only) volume group fsGroup and adds group read (`| 0440`), and every directory
 * group fsGroup, setgid and group read/execute.
 */
import type { corev1 } from "@tokenplane/proto";

/** `ProjectedVolumeSourceDefaultMode`: 0644. */
export const DEFAULT_PROJECTED_MODE = 0o644;
/** Mode of the token file when a fsUser or fsGroup is set, before SetVolumeOwnership. */
export const TOKEN_OWNED_MODE = 0o600;
/** SetVolumeOwnership's read-only mask (`roMask`). */
export const FS_GROUP_READ_ONLY_MASK = 0o440;
/** SetVolumeOwnership's extra bits for directories: setgid and `execMask` 0110. */
export const FS_GROUP_DIR_BITS = 0o2000 | 0o110;
/** Mode of the timestamped data directory (AtomicWriter chmods it to 0755). */
export const DATA_DIR_MODE = 0o755;

/**
 * `DetermineEffectiveRunAsUser`: the container's `securityContext.runAsUser`, else the pod's; undefined
 * when neither is set.
 */
export function effectiveRunAsUser(pod: corev1.Pod, container: corev1.Container): bigint | undefined {
  return container.securityContext?.runAsUser ?? pod.spec?.securityContext?.runAsUser;
}

/**
 * `FsUserFrom`: the uid every init and regular container runs as, when they all agree; undefined
 * when one has none or two differ. Ephemeral containers are not looked at.
 */
export function fsUserFrom(pod: corev1.Pod): number | undefined {
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  let fsUser: bigint | undefined;
  for (const c of containers) {
    const uid = effectiveRunAsUser(pod, c);
    if (uid === undefined || (fsUser !== undefined && fsUser !== uid)) return undefined;
    fsUser ??= uid;
  }
  return fsUser === undefined ? undefined : Number(fsUser);
}

/** The pod's `securityContext.fsGroup`, if any. */
export function fsGroupFrom(pod: corev1.Pod): number | undefined {
  const g = pod.spec?.securityContext?.fsGroup;
  return g === undefined ? undefined : Number(g);
}

/** Mode of a token file before ownership is applied: 0600 with a fsUser or fsGroup, else the volume's default mode. */
export function tokenFileMode(
  defaultMode: number,
  fsUser: number | undefined,
  fsGroup: number | undefined,
): number {
  return fsUser !== undefined || fsGroup !== undefined ? TOKEN_OWNED_MODE : defaultMode;
}

/** A file's final mode: with a fsGroup, SetVolumeOwnership adds group read (read-only volume). */
export function finalFileMode(mode: number, fsGroup: number | undefined): number {
  return fsGroup === undefined ? mode : mode | FS_GROUP_READ_ONLY_MASK;
}

/** A directory's final mode inside the volume. */
export function finalDirMode(fsGroup: number | undefined): number {
  return fsGroup === undefined ? DATA_DIR_MODE : DATA_DIR_MODE | FS_GROUP_READ_ONLY_MASK | FS_GROUP_DIR_BITS;
}
