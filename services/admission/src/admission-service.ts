/**
 * `tokenplane.v1.AdmissionService` over the plugin: the apiserver sends every pod create and
 * update (and the `ephemeralcontainers` subresource); the answer is the mutated pod, or a denial
 * carrying the Kubernetes `Status` the client must see (403 Forbidden with the texts of reference
 * §3). Thin wiring: the rules are in `plugin/`, the ServiceAccount lookup is passed in.
 *
 * A denial is a successful gRPC call (`allowed: false` + `status`), as in Kubernetes' admission
 * review; only unexpected failures are thrown, and the runtime turns them into INTERNAL, which the
 * apiserver reports as `Internal error occurred: failed calling admission plugin ...`.
 */
import { StatusError, statusToProto } from "@tokenplane/apimachinery";
import type { ServiceImpl, tokenplanev1 } from "@tokenplane/proto";
import type { Authorize, Logger } from "@tokenplane/runtime";
import {
  type AdmissionOperation,
  type AdmissionRequest,
  admit,
  type GetServiceAccount,
} from "./plugin/index.js";

/** What {@link admissionService} needs. */
export interface AdmissionServiceOptions {
  /** The ServiceAccount lookup (cache, then live reads; reference §3.4): `serviceAccountGetter`. */
  readonly getServiceAccount: GetServiceAccount;
  /** Inject the projected token volume when the automount decision allows. Default true. */
  readonly mountServiceAccountToken?: boolean;
  /** Enforce mountable secrets for every account. Default false. */
  readonly limitSecretReferences?: boolean;
  /** Token volume names from the prefix; default the plugin's (5 random characters). For tests. */
  readonly generateName?: (prefix: string) => string;
  /** Denials are logged at debug, with the request's address and the message. */
  readonly log: Logger;
}

type AdmitResponseInit = Omit<tokenplanev1.AdmitResponse, "$typeName" | "object" | "status"> & {
  object?: tokenplanev1.AdmitResponse["object"];
  status?: tokenplanev1.AdmitResponse["status"];
};

/** The operations the plugin handles; anything else passes unchanged (`admission.NewHandler(Create, Update)`). */
function isHandled(operation: string): operation is AdmissionOperation {
  return operation === "CREATE" || operation === "UPDATE";
}

/** The service implementation: `Admit` runs the plugin on the request's pod. */
export function admissionService(
  options: AdmissionServiceOptions,
): ServiceImpl<typeof tokenplanev1.AdmissionService> {
  const { log } = options;
  const deps = {
    getServiceAccount: options.getServiceAccount,
    mountServiceAccountToken: options.mountServiceAccountToken ?? true,
    limitSecretReferences: options.limitSecretReferences ?? false,
    ...(options.generateName === undefined ? {} : { generateName: options.generateName }),
  };
  return {
    async admit(req): Promise<AdmitResponseInit> {
      const pod = req.object;
      // Nothing to look at (shouldIgnore: no object, an operation the plugin does not handle):
      // allowed as sent.
      if (pod === undefined || !isHandled(req.operation)) {
        return { allowed: true, ...(pod === undefined ? {} : { object: pod }), warnings: [] };
      }
      const request: AdmissionRequest = {
        operation: req.operation,
        subresource: req.subresource,
        // The request's namespace is authoritative (a.GetNamespace()); the pod's is a fallback
        // for callers that leave it empty.
        namespace: req.namespace || pod.metadata?.namespace || "",
        pod,
        ...(req.oldObject === undefined ? {} : { oldPod: req.oldObject }),
      };
      try {
        const result = await admit(request, deps);
        return { allowed: true, object: result.pod, warnings: result.warnings };
      } catch (err) {
        if (!(err instanceof StatusError)) throw err;
        return denial(err, req, log);
      }
    },
  };
}

/** A plugin denial as the response the apiserver turns into the client's error. */
function denial(err: StatusError, req: tokenplanev1.AdmitRequest, log: Logger): AdmitResponseInit {
  log.debug(
    {
      operation: req.operation,
      subresource: req.subresource,
      namespace: req.namespace,
      name: req.name || req.object?.metadata?.name || req.object?.metadata?.generateName || "",
      code: err.code,
      message: err.message,
    },
    "pod denied",
  );
  return { allowed: false, status: statusToProto(err.status), warnings: [...err.warnings] };
}

/**
 * Only these client-certificate users may call the service (the apiserver: `tokenplane:apiserver`
 * by default). Anyone else gets the runtime's 403 `forbidden: User "<user>" cannot call <path>`:
 * Admit reveals which service accounts exist and their pull secrets, so it is not for everyone
 * holding a cluster certificate.
 */
export function authorizeCallers(users: readonly string[]): Authorize {
  const allowed = new Set(users);
  return (peer) => allowed.has(peer.user);
}
