/**
 * @tokenplane/proto: the protobuf-es messages and services generated from proto/, and the glue that
 * serves and calls them with @grpc/grpc-js.
 *
 * Each proto package is a namespace named the way Kubernetes' Go code imports it, because the same
 * message name exists in several packages (ExtraValue in authnv1 and authzv1, TypeMeta in metav1
 * and runtime).
 */
export * as authnv1 from "./gen/k8s.io/api/authentication/v1/generated_pb.js";
export * as authzv1 from "./gen/k8s.io/api/authorization/v1/generated_pb.js";
export * as corev1 from "./gen/k8s.io/api/core/v1/generated_pb.js";
export * as rbacv1 from "./gen/k8s.io/api/rbac/v1/generated_pb.js";
export * as resource from "./gen/k8s.io/apimachinery/pkg/api/resource/generated_pb.js";
export * as metav1 from "./gen/k8s.io/apimachinery/pkg/apis/meta/v1/generated_pb.js";
export * as runtime from "./gen/k8s.io/apimachinery/pkg/runtime/generated_pb.js";
export * as intstr from "./gen/k8s.io/apimachinery/pkg/util/intstr/generated_pb.js";
export {
  addService,
  type CallOptions,
  type ClientOptions,
  createClient,
  type HandlerContext,
  type ServerOptions,
  type ServiceClient,
  type ServiceImpl,
  serviceDefinition,
} from "./grpc.js";
export * as tokenplanev1 from "./tokenplane-v1.js";
