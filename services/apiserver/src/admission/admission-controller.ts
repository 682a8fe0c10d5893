/**
 * The admission call-out: pod creates and updates (and the ephemeralcontainers subresource) go
 * to the ServiceAccount admission service over gRPC before they are validated and stored, as
 * kube-apiserver runs its admission chain. When the service cannot be reached the write fails
 * closed with a 500-class error that says so; nothing is stored.
 */
import { create } from "@bufbuild/protobuf";
import { newInternalError, StatusError, type StoredObject, statusFromProto } from "@tokenplane/apimachinery";
import { corev1, type tokenplanev1 } from "@tokenplane/proto";
import type { AdmissionClient } from "@tokenplane/runtime";
import type { AdmissionController } from "../registry/registry.js";

/** The plugin name, used in error messages as Kubernetes names admission plugins. */
const pluginName = "ServiceAccount";

export interface GrpcAdmissionOptions {
  client: AdmissionClient;
  /** How long a call may take, milliseconds. */
  timeoutMs: number;
}

/** Admission over gRPC for pods; every other kind passes through unchanged. */
export function grpcAdmissionController(options: GrpcAdmissionOptions): AdmissionController {
  return {
    async admit(request) {
      if (request.info.objectCase !== "pod") return request.object;
      if (request.subresource !== "" && request.subresource !== "ephemeralcontainers") return request.object;
      let response: tokenplanev1.AdmitResponse;
      try {
        response = await options.client.admission.admit(
          {
            operation: request.operation,
            subresource: request.subresource,
            namespace: request.namespace,
            name: request.name,
            object: request.object as corev1.Pod,
            ...(request.oldObject ? { oldObject: request.oldObject as corev1.Pod } : {}),
            userInfo: {
              username: request.user.username,
              uid: request.user.uid,
              groups: request.user.groups,
              extra: Object.fromEntries(
                Object.entries(request.user.extra).map(([k, v]) => [k, { items: v }]),
              ),
            },
            dryRun: request.dryRun,
          },
          { deadline: Date.now() + options.timeoutMs },
        );
      } catch (err) {
        // Fail closed: an unreachable admission service must not let a pod through unchecked.
        const detail = err instanceof StatusError ? err.message : String(err);
        throw newInternalError(`failed calling admission plugin "${pluginName}": ${detail}`);
      }
      if (!response.allowed) {
        if (response.status) throw StatusError.fromStatus(statusFromProto(response.status));
        throw newInternalError(`admission plugin "${pluginName}" denied the request without a status`);
      }
      if (!response.object) return request.object;
      return create(corev1.PodSchema, response.object) as StoredObject;
    },
  };
}
