/**
 * Descriptions and required fields that the OpenAPI documents publish (and `kubectl explain`
 * prints), keyed by definition name; `""` is the type's own description. Texts are Kubernetes'
 * (k8s.io/api doc comments), shortened to their first sentences. A field without an entry is
 * published without a description; `requiredFields` are Kubernetes' `+required` / non-omitempty
 * fields, which client-side validation (`kubectl create --validate=strict` over OpenAPI v2) checks.
 */

const CORE = "io.k8s.api.core.v1";
const META = "io.k8s.apimachinery.pkg.apis.meta.v1";
const RBAC = "io.k8s.api.rbac.v1";
const AUTHN = "io.k8s.api.authentication.v1";
const AUTHZ = "io.k8s.api.authorization.v1";

/** `apiVersion` of every kind. */
export const apiVersionDescription =
  "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
/** `kind` of every kind. */
export const kindDescription =
  "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";
const objectMeta =
  "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const listMeta =
  "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";
const specOf = (what: string) =>
  `Spec defines the behavior of the ${what}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status`;
const statusOf = (what: string) =>
  `Status represents the current information about the ${what}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status`;

/** ObjectMeta.name, also the NAME column of server-side tables. */
export const nameDescription =
  "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
/** ObjectMeta.creationTimestamp, also the AGE column of server-side tables. */
export const creationTimestampDescription =
  "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
/** ServiceAccount.secrets, also the SECRETS column. */
export const serviceAccountSecretsDescription =
  'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use. Pods are only limited to this list if this service account has a "kubernetes.io/enforce-mountable-secrets" annotation set to "true". The "kubernetes.io/enforce-mountable-secrets" annotation is deprecated since v1.32. Prefer separate namespaces to isolate access to mounted secrets. This field should not be used to find auto-generated service account token secrets for use outside of pods. Instead, tokens can be requested directly using the TokenRequest API, or service account token secrets can be manually created. More info: https://kubernetes.io/docs/concepts/configuration/secret';

const imagePullSecrets =
  "ImagePullSecrets is an optional list of references to secrets in the same namespace to use for pulling any of the images used by this PodSpec. More info: https://kubernetes.io/docs/concepts/containers/images#specifying-imagepullsecrets-on-a-pod";
const localName =
  "Name of the referent. This field is effectively required, but due to backwards compatibility is allowed to be empty. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#names";
const items = (what: string) => `Items is a list of ${what}.`;

/** Descriptions by definition name, then JSON field name (`""`: the type). */
export const fieldDocs: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  [`${META}.ObjectMeta`]: {
    "": "ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.",
    name: nameDescription,
    generateName:
      "GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided.",
    namespace:
      'Namespace defines the space within which each name must be unique. An empty namespace is equivalent to the "default" namespace, but "default" is the canonical representation. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces',
    uid: "UID is the unique in time and space value for this object. It is typically generated by the server on successful creation of a resource and is not allowed to change on PUT operations. Populated by the system. Read-only.",
    resourceVersion:
      "An opaque value that represents the internal version of this object that can be used by clients to determine when objects have changed. Populated by the system. Read-only.",
    generation:
      "A sequence number representing a specific generation of the desired state. Populated by the system. Read-only.",
    creationTimestamp: creationTimestampDescription,
    deletionTimestamp:
      "DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted. This field is set by the server when a graceful deletion is requested by the user, and is not directly settable by a client. Populated by the system when a graceful deletion is requested. Read-only.",
    deletionGracePeriodSeconds:
      "Number of seconds allowed for this object to gracefully terminate before it will be removed from the system. Only set when deletionTimestamp is also set. May only be shortened. Read-only.",
    labels:
      "Map of string keys and values that can be used to organize and categorize (scope and select) objects. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels",
    annotations:
      "Annotations is an unstructured key value map stored with a resource that may be set by external tools to store and retrieve arbitrary metadata. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations",
    ownerReferences:
      "List of objects depended by this object. If ALL objects in the list have been deleted, this object will be garbage collected.",
    finalizers:
      "Must be empty before the object is deleted from the registry. Each entry is an identifier for the responsible component that will remove the entry from the list.",
  },
  [`${META}.OwnerReference`]: {
    "": "OwnerReference contains enough information to let you identify an owning object. An owning object must be in the same namespace as the dependent, or be cluster-scoped, so there is no namespace field.",
    apiVersion: "API version of the referent.",
    kind: "Kind of the referent.",
    name: "Name of the referent.",
    uid: "UID of the referent.",
    controller: "If true, this reference points to the managing controller.",
  },
  [`${META}.ListMeta`]: {
    "": "ListMeta describes metadata that synthetic resources must have, including lists and various status objects.",
    resourceVersion:
      "String that identifies the server's internal version of this object that can be used by clients to determine when objects have changed.",
    continue:
      "continue may be set if the user set a limit on the number of items returned, and indicates that the server has more data available.",
  },
  [`${META}.Time`]: {
    "": "Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON. Wrappers are provided for many of the factory methods that the time package offers.",
  },
  [`${META}.Status`]: {
    "": "Status is a return value for calls that don't return other objects.",
    status: 'Status of the operation. One of: "Success" or "Failure".',
    message: "A human-readable description of the status of this operation.",
    reason: 'A machine-readable description of why this operation is in the "Failure" status.',
    code: "Suggested HTTP return code for this status, 0 if not set.",
  },
  [`${META}.DeleteOptions`]: {
    "": "DeleteOptions may be provided when deleting an API object.",
    gracePeriodSeconds: "The duration in seconds before the object should be deleted.",
    propagationPolicy:
      "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', 'Background', 'Foreground'.",
  },
  [`${META}.Patch`]: {
    "": "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.",
  },
  [`${META}.LabelSelector`]: {
    "": "A label selector is a label query over a set of resources.",
    matchLabels: "matchLabels is a map of {key,value} pairs.",
    matchExpressions:
      "matchExpressions is a list of label selector requirements. The requirements are ANDed.",
  },
  "io.k8s.apimachinery.pkg.api.resource.Quantity": {
    "": "Quantity is a fixed-point representation of a number. It provides convenient marshaling/unmarshaling in JSON and YAML, in addition to String() and AsInt64() accessors.",
  },
  "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {
    "": "IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.",
  },
  "io.k8s.apimachinery.pkg.runtime.RawExtension": {
    "": "RawExtension is used to hold extensions in external versions.",
  },

  [`${CORE}.ServiceAccount`]: {
    "": "ServiceAccount binds together: * a name, understood by users, and perhaps by peripheral systems, for an identity * a principal that can be authenticated and authorized * a set of secrets",
    metadata: objectMeta,
    secrets: serviceAccountSecretsDescription,
    imagePullSecrets:
      "ImagePullSecrets is a list of references to secrets in the same namespace to use for pulling any images in pods that reference this ServiceAccount. ImagePullSecrets are distinct from Secrets because Secrets can be mounted in the pod, but ImagePullSecrets are only accessed by the kubelet. More info: https://kubernetes.io/docs/concepts/containers/images/#specifying-imagepullsecrets-on-a-pod",
    automountServiceAccountToken:
      "AutomountServiceAccountToken indicates whether pods running as this service account should have an API token automatically mounted. Can be overridden at the pod level.",
  },
  [`${CORE}.ServiceAccountList`]: {
    "": "ServiceAccountList is a list of ServiceAccount objects",
    metadata: listMeta,
    items:
      "List of ServiceAccounts. More info: https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/",
  },
  [`${CORE}.ObjectReference`]: {
    "": "ObjectReference contains enough information to let you inspect or modify the referred object.",
    kind: "Kind of the referent.",
    namespace: "Namespace of the referent.",
    name: "Name of the referent.",
    uid: "UID of the referent.",
    apiVersion: "API version of the referent.",
  },
  [`${CORE}.LocalObjectReference`]: {
    "": "LocalObjectReference contains enough information to let you locate the referenced object inside the same namespace.",
    name: localName,
  },
  [`${CORE}.Secret`]: {
    "": "Secret holds secret data of a certain type. The total bytes of the values in the Data field must be less than MaxSecretSize bytes.",
    metadata: objectMeta,
    data: "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4",
    stringData:
      "stringData allows specifying non-binary secret data in string form. It is provided as a write-only input field for convenience. All keys and values are merged into the data field on write, overwriting any existing values. The stringData field is never output when reading from the API.",
    type: "Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types",
    immutable:
      "Immutable, if set to true, ensures that data stored in the Secret cannot be updated (only object metadata can be modified).",
  },
  [`${CORE}.SecretList`]: {
    "": "SecretList is a list of Secret.",
    metadata: listMeta,
    items: items("secret objects"),
  },
  [`${CORE}.ConfigMap`]: {
    "": "ConfigMap holds configuration data for pods to consume.",
    metadata: objectMeta,
    data: "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'.",
    binaryData:
      "BinaryData contains the binary data. Each key must consist of alphanumeric characters, '-', '_' or '.'.",
    immutable:
      "Immutable, if set to true, ensures that data stored in the ConfigMap cannot be updated (only object metadata can be modified).",
  },
  [`${CORE}.ConfigMapList`]: {
    "": "ConfigMapList is a resource containing a list of ConfigMap objects.",
    metadata: listMeta,
    items: items("ConfigMaps"),
  },
  [`${CORE}.Namespace`]: {
    "": "Namespace provides a scope for Names. Use of multiple namespaces is optional.",
    metadata: objectMeta,
    spec: specOf("Namespace"),
    status: statusOf("Namespace"),
  },
  [`${CORE}.NamespaceSpec`]: {
    "": "NamespaceSpec describes the attributes on a Namespace.",
    finalizers:
      "Finalizers is an opaque list of values that must be empty to permanently remove object from storage.",
  },
  [`${CORE}.NamespaceStatus`]: {
    "": "NamespaceStatus is information about the current status of a Namespace.",
    phase: "Phase is the current lifecycle phase of the namespace.",
    conditions: "Represents the latest available observations of a namespace's current state.",
  },
  [`${CORE}.NamespaceList`]: {
    "": "NamespaceList is a list of Namespaces.",
    metadata: listMeta,
    items: items("Namespace objects in the list"),
  },
  [`${CORE}.Node`]: {
    "": "Node is a worker node in Kubernetes. Each node will have a unique identifier in the cache (i.e. in etcd).",
    metadata: objectMeta,
    spec: specOf("node"),
    status: "Most recently observed status of the node. Populated by the system. Read-only.",
  },
  [`${CORE}.NodeList`]: {
    "": "NodeList is the whole list of all Nodes which have been registered with master.",
    metadata: listMeta,
    items: items("nodes"),
  },
  [`${CORE}.NodeSpec`]: {
    "": "NodeSpec describes the attributes that a node is created with.",
    unschedulable: "Unschedulable controls node schedulability of new pods. By default, node is schedulable.",
    taints: "If specified, the node's taints.",
  },
  [`${CORE}.NodeStatus`]: {
    "": "NodeStatus is information about the current status of a node.",
    conditions: "Conditions is an array of current observed node conditions.",
    addresses: "List of addresses reachable to the node.",
    nodeInfo: "Set of ids/uuids to uniquely identify the node.",
  },
  [`${CORE}.NodeSystemInfo`]: {
    "": "NodeSystemInfo is a set of ids/uuids to uniquely identify the node.",
    kubeletVersion: "Kubelet Version reported by the node.",
    osImage: "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
    kernelVersion: "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
    containerRuntimeVersion:
      "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
  },
  [`${CORE}.Pod`]: {
    "": "Pod is a collection of containers that can run on a host. This resource is created by clients and scheduled onto hosts.",
    metadata: objectMeta,
    spec: specOf("pod"),
    status:
      "Most recently observed status of the pod. This data may not be up to date. Populated by the system. Read-only.",
  },
  [`${CORE}.PodList`]: {
    "": "PodList is a list of Pods.",
    metadata: listMeta,
    items:
      "List of pods. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md",
  },
  [`${CORE}.PodSpec`]: {
    "": "PodSpec is a description of a pod.",
    volumes:
      "List of volumes that can be mounted by containers belonging to the pod. More info: https://kubernetes.io/docs/concepts/storage/volumes",
    initContainers:
      "List of initialization containers belonging to the pod. Init containers are executed in order prior to containers being started.",
    containers:
      "List of containers belonging to the pod. Containers cannot currently be added or removed. There must be at least one container in a Pod. Cannot be updated.",
    ephemeralContainers:
      "List of ephemeral containers run in this pod. Ephemeral containers may be run in an existing pod to perform user-initiated actions such as debugging. This list cannot be specified when creating a pod, and it cannot be modified by updating the pod spec. In order to add an ephemeral container to an existing pod, use the pod's ephemeralcontainers subresource.",
    restartPolicy: "Restart policy for all containers within the pod. One of Always, OnFailure, Never.",
    serviceAccountName:
      "ServiceAccountName is the name of the ServiceAccount to use to run this pod. More info: https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/",
    serviceAccount:
      "DeprecatedServiceAccount is a deprecated alias for ServiceAccountName. Deprecated: Use serviceAccountName instead.",
    automountServiceAccountToken:
      "AutomountServiceAccountToken indicates whether a service account token should be automatically mounted.",
    nodeName:
      "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName.",
    imagePullSecrets,
    securityContext: "SecurityContext holds pod-level security attributes and common container settings.",
    terminationGracePeriodSeconds:
      "Optional duration in seconds the pod needs to terminate gracefully. Defaults to 30 seconds.",
    nodeSelector: "NodeSelector is a selector which must be true for the pod to fit on a node.",
    tolerations: "If specified, the pod's tolerations.",
    hostNetwork: "Host networking requested for this pod. Default to false.",
  },
  [`${CORE}.PodStatus`]: {
    "": "PodStatus represents information about the status of a pod.",
    phase: "The phase of a Pod is a simple, high-level summary of where the Pod is in its lifecycle.",
    conditions: "Current service state of pod.",
    podIP:
      "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
    podIPs: "podIPs holds the IP addresses allocated to the pod.",
    hostIP: "hostIP holds the IP address of the host to which the pod is assigned.",
    startTime: "RFC 3339 date and time at which the object was acknowledged by the Kubelet.",
    containerStatuses: "Statuses of containers in this pod.",
  },
  [`${CORE}.Container`]: {
    "": "A single application container that you want to run within a pod.",
    name: "Name of the container specified as a DNS_LABEL. Each container in a pod must have a unique name (DNS_LABEL). Cannot be updated.",
    image: "Container image name. More info: https://kubernetes.io/docs/concepts/containers/images",
    command:
      "Entrypoint array. Not executed within a shell. The container image's ENTRYPOINT is used if this is not provided.",
    args: "Arguments to the entrypoint. The container image's CMD is used if this is not provided.",
    env: "List of environment variables to set in the container. Cannot be updated.",
    envFrom: "List of sources to populate environment variables in the container.",
    ports: "List of ports to expose from the container.",
    volumeMounts: "Pod volumes to mount into the container's filesystem. Cannot be updated.",
    imagePullPolicy: "Image pull policy. One of Always, Never, IfNotPresent.",
    securityContext: "SecurityContext defines the security options the container should be run with.",
    resources: "Compute Resources required by this container. Cannot be updated.",
    livenessProbe:
      "Periodic probe of container liveness. Container will be restarted if the probe fails. Cannot be updated. More info: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#container-probes",
    readinessProbe:
      "Periodic probe of container service readiness. Container will be removed from service endpoints if the probe fails. Cannot be updated. More info: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#container-probes",
    startupProbe:
      "StartupProbe indicates that the Pod has successfully initialized. If specified, no other probes are executed until this completes successfully. More info: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#container-probes",
    lifecycle:
      "Actions that the management system should take in response to container lifecycle events. Cannot be updated.",
  },
  [`${CORE}.EphemeralContainerCommon`]: {
    livenessProbe: "Probes are not allowed for ephemeral containers.",
    readinessProbe: "Probes are not allowed for ephemeral containers.",
    startupProbe: "Probes are not allowed for ephemeral containers.",
    lifecycle: "Lifecycle is not allowed for ephemeral containers.",
  },
  [`${CORE}.Probe`]: {
    "": "Probe describes a health check to be performed against a container to determine whether it is alive or ready to receive traffic.",
    exec: "Exec specifies a command to execute in the container.",
    httpGet: "HTTPGet specifies an HTTP GET request to perform.",
    tcpSocket: "TCPSocket specifies a connection to a TCP port.",
    grpc: "GRPC specifies a GRPC HealthCheckRequest.",
    initialDelaySeconds:
      "Number of seconds after the container has started before liveness probes are initiated. More info: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#container-probes",
    timeoutSeconds:
      "Number of seconds after which the probe times out. Defaults to 1 second. Minimum value is 1. More info: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle#container-probes",
    periodSeconds: "How often (in seconds) to perform the probe. Default to 10 seconds. Minimum value is 1.",
    successThreshold:
      "Minimum consecutive successes for the probe to be considered successful after having failed. Defaults to 1. Must be 1 for liveness and startup. Minimum value is 1.",
    failureThreshold:
      "Minimum consecutive failures for the probe to be considered failed after having succeeded. Defaults to 3. Minimum value is 1.",
    terminationGracePeriodSeconds:
      "Optional duration in seconds the pod needs to terminate gracefully upon probe failure.",
  },
  [`${CORE}.ProbeHandler`]: {
    "": "ProbeHandler defines a specific action that should be taken in a probe. One and only one of the fields must be specified.",
    exec: "Exec specifies a command to execute in the container.",
    httpGet: "HTTPGet specifies an HTTP GET request to perform.",
    tcpSocket: "TCPSocket specifies a connection to a TCP port.",
    grpc: "GRPC specifies a GRPC HealthCheckRequest.",
  },
  [`${CORE}.ExecAction`]: {
    "": 'ExecAction describes a "run in container" action.',
    command:
      "Command is the command line to execute inside the container, the working directory for the command  is root ('/') in the container's filesystem. The command is simply exec'd, it is not run inside a shell.",
  },
  [`${CORE}.HTTPGetAction`]: {
    "": "HTTPGetAction describes an action based on HTTP Get requests.",
    path: "Path to access on the HTTP server.",
    port: "Name or number of the port to access on the container. Number must be in the range 1 to 65535. Name must be an IANA_SVC_NAME.",
    host: 'Host name to connect to, defaults to the pod IP. You probably want to set "Host" in httpHeaders instead.',
    scheme: "Scheme to use for connecting to the host. Defaults to HTTP.",
    httpHeaders: "Custom headers to set in the request. HTTP allows repeated headers.",
  },
  [`${CORE}.HTTPHeader`]: {
    "": "HTTPHeader describes a custom header to be used in HTTP probes",
    name: "The header field name. This will be canonicalized upon output, so case-variant names will be understood as the same header.",
    value: "The header field value",
  },
  [`${CORE}.TCPSocketAction`]: {
    "": "TCPSocketAction describes an action based on opening a socket",
    port: "Number or name of the port to access on the container. Number must be in the range 1 to 65535. Name must be an IANA_SVC_NAME.",
    host: "Optional: Host name to connect to, defaults to the pod IP.",
  },
  [`${CORE}.GRPCAction`]: {
    "": "GRPCAction specifies an action involving a GRPC service.",
    port: "Port number of the gRPC service. Number must be in the range 1 to 65535.",
    service:
      "Service is the name of the service to place in the gRPC HealthCheckRequest (see https://github.com/grpc/grpc/blob/master/doc/health-checking.md).",
  },
  [`${CORE}.Lifecycle`]: {
    "": "Lifecycle describes actions that the management system should take in response to container lifecycle events. For the PostStart and PreStop lifecycle handlers, management of the container blocks until the action is complete, unless the container process fails, in which case the handler is aborted.",
    postStart:
      "PostStart is called immediately after a container is created. If the handler fails, the container is terminated and restarted according to its restart policy. More info: https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/#container-hooks",
    preStop:
      "PreStop is called immediately before a container is terminated due to an API request or management event such as liveness/startup probe failure, preemption, resource contention, etc. More info: https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/#container-hooks",
  },
  [`${CORE}.LifecycleHandler`]: {
    "": "LifecycleHandler defines a specific action that should be taken in a lifecycle hook. One and only one of the fields, except TCPSocket must be specified.",
    exec: "Exec specifies a command to execute in the container.",
    httpGet: "HTTPGet specifies an HTTP GET request to perform.",
    tcpSocket:
      "Deprecated. TCPSocket is NOT supported as a LifecycleHandler and kept for backward compatibility. There is no validation of this field and lifecycle hooks will fail at runtime when it is specified.",
    sleep: "Sleep represents a duration that the container should sleep.",
  },
  [`${CORE}.SleepAction`]: {
    "": 'SleepAction describes a "sleep" action.',
    seconds: "Seconds is the number of seconds to sleep.",
  },
  [`${CORE}.EphemeralContainer`]: {
    "": "An EphemeralContainer is a temporary container that you may add to an existing Pod for user-initiated activities such as debugging.",
    targetContainerName:
      "If set, the name of the container from PodSpec that this ephemeral container targets.",
  },
  [`${CORE}.EnvVar`]: {
    "": "EnvVar represents an environment variable present in a Container.",
    name: "Name of the environment variable. Must be a C_IDENTIFIER.",
    value:
      "Variable references $(VAR_NAME) are expanded using the previously defined environment variables in the container.",
    valueFrom: "Source for the environment variable's value. Cannot be used if value is not empty.",
  },
  [`${CORE}.VolumeMount`]: {
    "": "VolumeMount describes a mounting of a Volume within a container.",
    name: "This must match the Name of a Volume.",
    mountPath: "Path within the container at which the volume should be mounted. Must not contain ':'.",
    readOnly: "Mounted read-only if true, read-write otherwise (false or unspecified). Defaults to false.",
    subPath:
      "Path within the volume from which the container's volume should be mounted. Defaults to \"\" (volume's root).",
  },
  [`${CORE}.Volume`]: {
    "": "Volume represents a named volume in a pod that may be accessed by any container in the pod.",
    name: "name of the volume. Must be a DNS_LABEL and unique within the pod. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#names",
  },
  [`${CORE}.VolumeSource`]: {
    hostPath:
      "hostPath represents a pre-existing file or directory on the host machine that is directly exposed to the container.",
    emptyDir:
      "emptyDir represents a temporary directory that shares a pod's lifetime. More info: https://kubernetes.io/docs/concepts/storage/volumes#emptydir",
    secret:
      "secret represents a secret that should populate this volume. More info: https://kubernetes.io/docs/concepts/storage/volumes#secret",
    downwardAPI: "downwardAPI represents downward API about the pod that should populate this volume",
    configMap: "configMap represents a configMap that should populate this volume",
    projected: "projected items for all in one resources secrets, configmaps, and downward API",
  },
  [`${CORE}.ProjectedVolumeSource`]: {
    "": "Represents a projected volume source",
    sources: "sources is the list of volume projections. Each entry in this list handles one source.",
    defaultMode:
      "defaultMode are the mode bits used to set permissions on created files by default. Must be an octal value between 0000 and 0777 or a decimal value between 0 and 511.",
  },
  [`${CORE}.VolumeProjection`]: {
    "": "Projection that may be projected along with other supported volume types. Exactly one of these fields must be set.",
    secret: "secret information about the secret data to project",
    downwardAPI: "downwardAPI information about the downwardAPI data to project",
    configMap: "configMap information about the configMap data to project",
    serviceAccountToken: "serviceAccountToken is information about the serviceAccountToken data to project",
  },
  [`${CORE}.ServiceAccountTokenProjection`]: {
    "": "ServiceAccountTokenProjection represents a projected service account token volume. This projection can be used to insert a service account token into the pods runtime filesystem for use against APIs (Kubernetes API Server or otherwise).",
    audience:
      "audience is the intended audience of the token. A recipient of a token must identify itself with an identifier specified in the audience of the token, and otherwise should reject the token. The audience defaults to the identifier of the apiserver.",
    expirationSeconds:
      "expirationSeconds is the requested duration of validity of the service account token. As the token approaches expiration, the kubelet volume plugin will proactively rotate the service account token. The kubelet will start trying to rotate the token if the token is older than 80 percent of its time to live or if the token is older than 24 hours.Defaults to 1 hour and must be at least 10 minutes.",
    path: "path is the path relative to the mount point of the file to project the token into.",
  },
  [`${CORE}.SecretVolumeSource`]: {
    "": "Adapts a Secret into a volume.",
    secretName:
      "secretName is the name of the secret in the pod's namespace to use. More info: https://kubernetes.io/docs/concepts/storage/volumes#secret",
    items:
      "items If unspecified, each key-value pair in the Data field of the referenced Secret will be projected into the volume as a file whose name is the key and content is the value.",
    optional: "optional field specify whether the Secret or its keys must be defined",
  },
  [`${CORE}.ConfigMapVolumeSource`]: {
    "": "Adapts a ConfigMap into a volume.",
    name: localName,
    optional: "optional specify whether the ConfigMap or its keys must be defined",
  },
  [`${CORE}.KeyToPath`]: {
    "": "Maps a string key to a path within a volume.",
    key: "key is the key to project.",
    path: "path is the relative path of the file to map the key to. May not be an absolute path. May not contain the path element '..'. May not start with the string '..'.",
  },

  [`${AUTHN}.TokenRequest`]: {
    "": "TokenRequest requests a token for a given service account.",
    metadata: objectMeta,
    spec: "Spec holds information about the request being evaluated",
    status: "Status is filled in by the server and indicates whether the token can be authenticated.",
  },
  [`${AUTHN}.TokenRequestSpec`]: {
    "": "TokenRequestSpec contains client provided parameters of a token request.",
    audiences:
      "Audiences are the intendend audiences of the token. A recipient of a token must identify themself with an identifier in the list of audiences of the token, and otherwise should reject the token. A token issued for multiple audiences may be used to authenticate against any of the audiences listed but implies a high degree of trust between the target audiences.",
    expirationSeconds:
      "ExpirationSeconds is the requested duration of validity of the request. The token issuer may return a token with a different validity duration so a client needs to check the 'expiration' field in a response.",
    boundObjectRef:
      "BoundObjectRef is a reference to an object that the token will be bound to. The token will only be valid for as long as the bound object exists.",
  },
  [`${AUTHN}.TokenRequestStatus`]: {
    "": "TokenRequestStatus is the result of a token request.",
    token: "Token is the opaque bearer token.",
    expirationTimestamp: "ExpirationTimestamp is the time of expiration of the returned token.",
  },
  [`${AUTHN}.BoundObjectReference`]: {
    "": "BoundObjectReference is a reference to an object that a token is bound to.",
    kind: "Kind of the referent. Valid kinds are 'Pod' and 'Secret'.",
    apiVersion: "API version of the referent.",
    name: "Name of the referent.",
    uid: "UID of the referent.",
  },
  [`${AUTHN}.TokenReview`]: {
    "": "TokenReview attempts to authenticate a token to a known user. Note: TokenReview requests may be cached by the webhook token authenticator plugin in the kube-apiserver.",
    metadata: objectMeta,
    spec: "Spec holds information about the request being evaluated",
    status: "Status is filled in by the server and indicates whether the request can be authenticated.",
  },
  [`${AUTHN}.TokenReviewSpec`]: {
    "": "TokenReviewSpec is a description of the token authentication request.",
    token: "Token is the opaque bearer token.",
    audiences:
      "Audiences is a list of the identifiers that the resource server presented with the token identifies as. Audience-aware token authenticators will verify that the token was intended for at least one of the audiences in this list. If no audiences are provided, the audience will default to the audience of the Kubernetes apiserver.",
  },
  [`${AUTHN}.TokenReviewStatus`]: {
    "": "TokenReviewStatus is the result of the token authentication request.",
    authenticated: "Authenticated indicates that the token was associated with a known user.",
    user: "User is the UserInfo associated with the provided token.",
    audiences:
      "Audiences are audience identifiers chosen by the authenticator that are compatible with both the TokenReview and token.",
    error: "Error indicates that the token couldn't be checked",
  },
  [`${AUTHN}.UserInfo`]: {
    "": "UserInfo holds the information about the user needed to implement the user.Info interface.",
    username: "The name that uniquely identifies this user among all active users.",
    uid: "A unique value that identifies this user across time.",
    groups: "The names of groups this user is a part of.",
    extra: "Any additional information provided by the authenticator.",
  },
  [`${AUTHN}.SelfSubjectReview`]: {
    "": "SelfSubjectReview contains the user information that the kube-apiserver has about the user making this request.",
    metadata: objectMeta,
    status: "Status is filled in by the server with the user attributes.",
  },
  [`${AUTHZ}.SubjectAccessReview`]: {
    "": "SubjectAccessReview checks whether or not a user or group can perform an action.",
    metadata: objectMeta,
    spec: "Spec holds information about the request being evaluated",
    status: "Status is filled in by the server and indicates whether the request is allowed or not",
  },
  [`${AUTHZ}.LocalSubjectAccessReview`]: {
    "": "LocalSubjectAccessReview checks whether or not a user or group can perform an action in a given namespace.",
    metadata: objectMeta,
    spec: "Spec holds information about the request being evaluated. spec.namespace must be equal to the namespace you made the request against.",
    status: "Status is filled in by the server and indicates whether the request is allowed or not",
  },
  [`${AUTHZ}.SelfSubjectAccessReview`]: {
    "": "SelfSubjectAccessReview checks whether or the current user can perform an action.",
    metadata: objectMeta,
    spec: "Spec holds information about the request being evaluated. user and groups must be empty",
    status: "Status is filled in by the server and indicates whether the request is allowed or not",
  },
  [`${AUTHZ}.SelfSubjectRulesReview`]: {
    "": "SelfSubjectRulesReview enumerates the set of actions the current user can perform within a namespace.",
    metadata: objectMeta,
    spec: "Spec holds information about the request being evaluated.",
    status: "Status is filled in by the server and indicates the set of actions a user can perform.",
  },
  [`${RBAC}.Role`]: {
    "": "Role is a namespaced, logical grouping of PolicyRules that can be referenced as a unit by a RoleBinding.",
    metadata: objectMeta,
    rules: "Rules holds all the PolicyRules for this Role",
  },
  [`${RBAC}.ClusterRole`]: {
    "": "ClusterRole is a cluster level, logical grouping of PolicyRules that can be referenced as a unit by a RoleBinding or ClusterRoleBinding.",
    metadata: objectMeta,
    rules: "Rules holds all the PolicyRules for this ClusterRole",
    aggregationRule:
      "AggregationRule is an optional field that describes how to build the Rules for this ClusterRole. If AggregationRule is set, then the Rules are controller managed and direct changes to Rules will be stomped by the controller.",
  },
  [`${RBAC}.RoleBinding`]: {
    "": "RoleBinding references a role, but does not contain it. It can reference a Role in the same namespace or a ClusterRole in the global namespace.",
    metadata: objectMeta,
    subjects: "Subjects holds references to the objects the role applies to.",
    roleRef:
      "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.",
  },
  [`${RBAC}.ClusterRoleBinding`]: {
    "": "ClusterRoleBinding references a ClusterRole, but not contain it. It can reference a ClusterRole in the global namespace, and adds who information via Subject.",
    metadata: objectMeta,
    subjects: "Subjects holds references to the objects the role applies to.",
    roleRef:
      "RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.",
  },
  [`${RBAC}.PolicyRule`]: {
    "": "PolicyRule holds information that describes a policy rule, but does not contain information about who the rule applies to or which namespace the rule applies to.",
    verbs:
      "Verbs is a list of Verbs that apply to ALL the ResourceKinds contained in this rule. '*' represents all verbs.",
    apiGroups: "APIGroups is the name of the APIGroup that contains the resources.",
    resources: "Resources is a list of resources this rule applies to. '*' represents all resources.",
    resourceNames:
      "ResourceNames is an optional white list of names that the rule applies to. An empty set means that everything is allowed.",
    nonResourceURLs: "NonResourceURLs is a set of partial urls that a user should have access to.",
  },
  [`${RBAC}.Subject`]: {
    "": "Subject contains a reference to the object or user identities a role binding applies to.",
    kind: 'Kind of object being referenced. Values defined by this API group are "User", "Group", and "ServiceAccount".',
    apiGroup:
      'APIGroup holds the API group of the referenced subject. Defaults to "" for ServiceAccount subjects. Defaults to "rbac.authorization.k8s.io" for User and Group subjects.',
    name: "Name of the object being referenced.",
    namespace:
      'Namespace of the referenced object. If the object kind is non-namespace, such as "User" or "Group", and this value is not empty the Authorizer should report an error.',
  },
  [`${RBAC}.RoleRef`]: {
    "": "RoleRef contains information that points to the role being used",
    apiGroup: "APIGroup is the group for the resource being referenced",
    kind: "Kind is the type of resource being referenced",
    name: "Name is the name of resource being referenced",
  },
};

/** Required fields by definition name (Kubernetes' OpenAPI `required`). */
export const requiredFields: Readonly<Record<string, readonly string[]>> = {
  [`${META}.OwnerReference`]: ["apiVersion", "kind", "name", "uid"],
  [`${META}.LabelSelectorRequirement`]: ["key", "operator"],
  [`${CORE}.Container`]: ["name"],
  [`${CORE}.EphemeralContainer`]: ["name"],
  [`${CORE}.Volume`]: ["name"],
  [`${CORE}.EnvVar`]: ["name"],
  [`${CORE}.VolumeMount`]: ["name", "mountPath"],
  [`${CORE}.ContainerPort`]: ["containerPort"],
  [`${CORE}.KeyToPath`]: ["key", "path"],
  [`${CORE}.ConfigMapKeySelector`]: ["key"],
  [`${CORE}.SecretKeySelector`]: ["key"],
  [`${CORE}.ObjectFieldSelector`]: ["fieldPath"],
  [`${CORE}.ResourceFieldSelector`]: ["resource"],
  [`${CORE}.DownwardAPIVolumeFile`]: ["path"],
  [`${CORE}.ServiceAccountTokenProjection`]: ["path"],
  [`${CORE}.HostPathVolumeSource`]: ["path"],
  [`${CORE}.HTTPGetAction`]: ["port"],
  [`${CORE}.HTTPHeader`]: ["name", "value"],
  [`${CORE}.TCPSocketAction`]: ["port"],
  [`${CORE}.GRPCAction`]: ["port"],
  [`${CORE}.SleepAction`]: ["seconds"],
  [`${CORE}.Taint`]: ["key", "effect"],
  [`${CORE}.NodeAddress`]: ["type", "address"],
  [`${CORE}.NodeCondition`]: ["type", "status"],
  [`${CORE}.PodCondition`]: ["type", "status"],
  [`${CORE}.NamespaceCondition`]: ["type", "status"],
  [`${CORE}.PodIP`]: ["ip"],
  [`${CORE}.ContainerStatus`]: ["name", "ready", "restartCount", "image", "imageID"],
  [`${CORE}.DaemonEndpoint`]: ["Port"],
  [`${CORE}.NodeSystemInfo`]: [
    "machineID",
    "systemUUID",
    "bootID",
    "kernelVersion",
    "osImage",
    "containerRuntimeVersion",
    "kubeletVersion",
    "kubeProxyVersion",
    "operatingSystem",
    "architecture",
  ],
  [`${AUTHN}.TokenRequest`]: ["spec"],
  [`${AUTHN}.TokenRequestSpec`]: ["audiences"],
  [`${AUTHN}.TokenRequestStatus`]: ["token", "expirationTimestamp"],
  [`${AUTHN}.BoundObjectReference`]: [],
  [`${AUTHN}.TokenReview`]: ["spec"],
  [`${AUTHZ}.SubjectAccessReview`]: ["spec"],
  [`${AUTHZ}.LocalSubjectAccessReview`]: ["spec"],
  [`${AUTHZ}.SelfSubjectAccessReview`]: ["spec"],
  [`${AUTHZ}.SelfSubjectRulesReview`]: ["spec"],
  [`${AUTHZ}.SubjectAccessReviewStatus`]: ["allowed"],
  [`${AUTHZ}.SubjectRulesReviewStatus`]: ["resourceRules", "nonResourceRules", "incomplete"],
  [`${AUTHZ}.ResourceRule`]: ["verbs"],
  [`${AUTHZ}.NonResourceRule`]: ["verbs"],
  [`${RBAC}.PolicyRule`]: ["verbs"],
  [`${RBAC}.Subject`]: ["kind", "name"],
  [`${RBAC}.RoleRef`]: ["apiGroup", "kind", "name"],
  [`${RBAC}.RoleBinding`]: ["roleRef"],
  [`${RBAC}.ClusterRoleBinding`]: ["roleRef"],
};
