/**
 * Every Secret a pod references, in the order of Kubernetes' `podutil.VisitPodSecretNames`
 * (`pkg/api/pod/util.go`): `spec.imagePullSecrets`, then each container's `envFrom[].secretRef` and
 * `env[].valueFrom.secretKeyRef` (init containers, containers, ephemeral containers), then the
 * volumes (`projected.sources[].secret`, `secret.secretName`).
 *
 * The admission plugin refuses mirror pods that reference secrets (reference §3.2); the legacy
 * token cleaner never touches a token Secret a pod references (§4.5). Only the volume sources
 * tokenplane's proto subset has are visited (secret and projected; Kubernetes also visits cloud
 * volume sources' secret refs).
 */
import type { corev1 } from "@tokenplane/proto";

/** Which containers to visit, as Kubernetes' `podutil.ContainerType` bit mask. */
export const ContainerType = {
  InitContainers: 1,
  Containers: 2,
  EphemeralContainers: 4,
  AllContainers: 7,
} as const;
/** A combination of {@link ContainerType} bits. */
export type ContainerTypeMask = number;

/** Called with each secret name; return false to stop the walk. */
export type SecretNameVisitor = (name: string) => boolean;

/** The secret-referencing parts shared by `Container` and `EphemeralContainerCommon`. */
interface EnvSource {
  env: corev1.EnvVar[];
  envFrom: corev1.EnvFromSource[];
}

/** Visits the secrets of one container: `envFrom` first, then `env`, as Kubernetes does. */
function visitContainerSecretNames(c: EnvSource, visitor: SecretNameVisitor): boolean {
  for (const from of c.envFrom) {
    if (from.secretRef && !visitor(from.secretRef.localObjectReference?.name ?? "")) return false;
  }
  for (const env of c.env) {
    const ref = env.valueFrom?.secretKeyRef;
    if (ref && !visitor(ref.localObjectReference?.name ?? "")) return false;
  }
  return true;
}

/**
 * Calls `visitor` with the name of every secret `pod` references (empty names included, as in
 * Kubernetes), stopping when it returns false. Returns true when the walk completed.
 *
 * Two deliberate differences from Go: a visitor that returns false inside a container stops the
 * whole walk (Go ignores `VisitContainers`' result and goes on with the volumes), and a volume that
 * carries both a `projected` and a `secret` source has both visited (Go's switch sees one; API
 * validation allows only one source per volume, so valid pods give the same names).
 *
 * @param containers which containers to walk; default {@link ContainerType.AllContainers}.
 */
export function visitPodSecretNames(
  pod: corev1.Pod,
  visitor: SecretNameVisitor,
  containers: ContainerTypeMask = ContainerType.AllContainers,
): boolean {
  const spec = pod.spec;
  if (!spec) return true;
  for (const ref of spec.imagePullSecrets) {
    if (!visitor(ref.name)) return false;
  }
  if (containers & ContainerType.InitContainers) {
    for (const c of spec.initContainers) if (!visitContainerSecretNames(c, visitor)) return false;
  }
  if (containers & ContainerType.Containers) {
    for (const c of spec.containers) if (!visitContainerSecretNames(c, visitor)) return false;
  }
  if (containers & ContainerType.EphemeralContainers) {
    for (const ec of spec.ephemeralContainers) {
      const common = ec.ephemeralContainerCommon;
      if (common && !visitContainerSecretNames(common, visitor)) return false;
    }
  }
  for (const volume of spec.volumes) {
    const source = volume.volumeSource;
    if (!source) continue;
    for (const projection of source.projected?.sources ?? []) {
      if (projection.secret && !visitor(projection.secret.localObjectReference?.name ?? "")) return false;
    }
    if (source.secret && !visitor(source.secret.secretName)) return false;
  }
  return true;
}

/**
 * The names of every secret `pod` references, in visit order, duplicates kept once (first
 * occurrence wins).
 *
 * @param containers which containers to walk; default {@link ContainerType.AllContainers}.
 */
export function podSecretNames(
  pod: corev1.Pod,
  containers: ContainerTypeMask = ContainerType.AllContainers,
): string[] {
  const names = new Set<string>();
  visitPodSecretNames(
    pod,
    (name) => {
      names.add(name);
      return true;
    },
    containers,
  );
  return [...names];
}

/** True when `pod` references the Secret `name` anywhere (the legacy token cleaner's check). */
export function podReferencesSecret(pod: corev1.Pod, name: string): boolean {
  let found = false;
  visitPodSecretNames(pod, (n) => {
    if (n === name) found = true;
    return !found;
  });
  return found;
}
