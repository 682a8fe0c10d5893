/**
 * The constants of Kubernetes' ServiceAccount admission plugin
 * (`plugin/pkg/admission/serviceaccount/admission.go`) and the k8s.io/api values it uses,
 * reference §0 and §3.
 */

/** The plugin's registered name, as in `--enable-admission-plugins=ServiceAccount`. */
export const PluginName = "ServiceAccount";

/** The service account a pod gets when `spec.serviceAccountName` is empty (reference §3.1 step 2). */
export const DefaultServiceAccountName = "default";

/**
 * ServiceAccount annotation that turns on the mountable-secrets check for that account; its value
 * is read with Go `strconv.ParseBool` (reference §3.2).
 */
export const EnforceMountableSecretsAnnotation = "kubernetes.io/enforce-mountable-secrets";

/** Pod annotation that marks a mirror pod (`api.MirrorPodAnnotationKey`, reference §0). */
export const MirrorPodAnnotationKey = "kubernetes.io/config.mirror";

/**
 * Name prefix of the projected token volume: a pod volume starting with it is reused, otherwise the
 * plugin generates `kube-api-access-` + 5 random characters (reference §3.3 step 1).
 */
export const ServiceAccountVolumeNamePrefix = "kube-api-access-";

/** Where the token volume is mounted in every (init) container (reference §3.3 step 2). */
export const DefaultAPITokenMountPath = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * `expirationSeconds` of the injected token projection, in seconds: one hour plus 7 s, the value
 * the apiserver recognises to extend the token's real lifetime (reference §0 WarnOnlyBoundTokenExpirationSeconds).
 */
export const WarnOnlyBoundTokenExpirationSeconds = 3607;

/**
 * `defaultMode` of the injected projected volume: 0644 (decimal 420), set explicitly
 * (Kubernetes issue #104464, reference §3.3 step 4).
 */
export const ProjectedVolumeSourceDefaultMode = 0o644;

/** ConfigMap the root CA publisher keeps in every namespace (reference §0). */
export const RootCAConfigMapName = "kube-root-ca.crt";

/** Key of the CA bundle in {@link RootCAConfigMapName} and the file it is projected to. */
export const RootCAConfigMapKey = "ca.crt";

/** The subresource whose UPDATE is validated (reference §3.2). */
export const EphemeralContainersSubresource = "ephemeralcontainers";
