/**
 * The on-disk layout under `--root-dir`, as the kubelet's (README "On-disk layout"):
 *
 * ```
 * <root>/pods/<pod uid>/volumes/kubernetes.io~projected/<volume>/      the volume (AtomicWriter)
 *            ..2024_01_01_00_00_00.123456/token ca.crt namespace     the current files
 *            ..data -> ..2024_01_01_00_00_00.123456                  swapped atomically
 *            token -> ..data/token                                     what a container sees
 * <root>/pods/<pod uid>/plugins/kubernetes.io~projected/<volume>/tokens.json
 *            what a restart needs to rebuild the token cache without a TokenRequest (no token inside)
 * ```
 */
import { rmSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";

/** `kubernetes.io~projected`: the plugin directory name of projected volumes. */
export const PROJECTED_PLUGIN_DIR = "kubernetes.io~projected";
/** File name of a volume's token metadata. */
export const TOKEN_METADATA_FILE = "tokens.json";

/** `<root>/pods`. */
export function podsDir(root: string): string {
  return path.join(root, "pods");
}

/** `<root>/pods/<uid>`. */
export function podDir(root: string, uid: string): string {
  return path.join(root, "pods", uid);
}

/** `<root>/pods/<uid>/volumes/kubernetes.io~projected/<volume>`. */
export function projectedVolumeDir(root: string, uid: string, volume: string): string {
  return path.join(root, "pods", uid, "volumes", PROJECTED_PLUGIN_DIR, volume);
}

/** `<root>/pods/<uid>/plugins/kubernetes.io~projected/<volume>/tokens.json`. */
export function tokenMetadataPath(root: string, uid: string, volume: string): string {
  return path.join(root, "pods", uid, "plugins", PROJECTED_PLUGIN_DIR, volume, TOKEN_METADATA_FILE);
}

/** Removes a pod's whole directory (its volumes and metadata); nothing when it is already gone. Synchronous. */
export function removePodDir(root: string, uid: string): void {
  rmSync(podDir(root, uid), { recursive: true, force: true });
}

/** The pod uids that have a directory under `<root>/pods`. */
export async function listPodDirs(root: string): Promise<string[]> {
  try {
    return (await readdir(podsDir(root), { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}
