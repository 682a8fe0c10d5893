/**
 * Probe and lifecycle-hook validation of pkg/apis/core/validation/validation.go:
 * validateLivenessProbe / validateReadinessProbe / validateStartupProbe, validateProbe,
 * validateHandler (one handler type), validateLifecycle, validateExecAction,
 * validateHTTPGetAction, ValidatePortNumOrName, validateTCPSocketAction, validateGRPCAction
 * and validateSleepAction, with Kubernetes' paths and texts.
 */
import {
  type FieldError,
  type FieldPath,
  fieldError,
  isHTTPHeaderName,
  isValidPortName,
  isValidPortNum,
} from "@tokenplane/apimachinery";
import type { corev1, intstr } from "@tokenplane/proto";

/** `isNegativeErrorMsg` (apimachinery `IsNegativeErrorMsg`). */
const isNegativeErrorMsg = "must be greater than or equal to 0";

/** `commonHandler`: the union of ProbeHandler and LifecycleHandler, in Kubernetes' check order. */
interface CommonHandler {
  exec?: corev1.ExecAction | undefined;
  httpGet?: corev1.HTTPGetAction | undefined;
  tcpSocket?: corev1.TCPSocketAction | undefined;
  grpc?: corev1.GRPCAction | undefined;
  sleep?: corev1.SleepAction | undefined;
}

/** `ValidateNonnegativeField`. */
function nonNegative(value: number, fld: FieldPath): FieldError[] {
  return value < 0 ? [fieldError.invalid(fld, value, isNegativeErrorMsg)] : [];
}

/** `ValidatePortNumOrName`: an absent port is Go's zero IntOrString, the int 0. */
export function validatePortNumOrName(port: intstr.IntOrString | undefined, fld: FieldPath): FieldError[] {
  const type = port?.type ?? 0n;
  if (type === 0n) {
    const n = port?.intVal ?? 0;
    return isValidPortNum(n).map((msg) => fieldError.invalid(fld, n, msg));
  }
  if (type === 1n) {
    const s = port?.strVal ?? "";
    return isValidPortName(s).map((msg) => fieldError.invalid(fld, s, msg));
  }
  return [fieldError.internal(fld, `unknown type: ${type}`)];
}

const supportedHTTPSchemes = ["HTTP", "HTTPS"];

/** `validateHTTPGetAction`: header name errors are reported on `httpHeaders`, without an index. */
function validateHTTPGetAction(http: corev1.HTTPGetAction, fld: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!http.path) errs.push(fieldError.required(fld.child("path")));
  errs.push(...validatePortNumOrName(http.port, fld.child("port")));
  if (!supportedHTTPSchemes.includes(http.scheme)) {
    errs.push(fieldError.notSupported(fld.child("scheme"), http.scheme, supportedHTTPSchemes));
  }
  for (const header of http.httpHeaders) {
    for (const msg of isHTTPHeaderName(header.name))
      errs.push(fieldError.invalid(fld.child("httpHeaders"), header.name, msg));
  }
  return errs;
}

/**
 * `validateSleepAction` with the PodLifecycleSleepActionAllowZero gate off (alpha, off by
 * default in 1.32). A pod without a grace period (never, once defaulted) skips the check.
 */
function validateSleepAction(
  sleep: corev1.SleepAction,
  gracePeriod: bigint | undefined,
  fld: FieldPath,
): FieldError[] {
  if (gracePeriod === undefined || (sleep.seconds > 0n && sleep.seconds <= gracePeriod)) return [];
  return [
    fieldError.invalid(
      fld,
      sleep.seconds,
      `must be greater than 0 and less than terminationGracePeriodSeconds (${gracePeriod}). Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.`,
    ),
  ];
}

/** `validateHandler`: exactly one handler type; the extra ones are Forbidden at their own path. */
function validateHandler(
  handler: CommonHandler,
  gracePeriod: bigint | undefined,
  fld: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  const one = (name: string, present: boolean, check: () => FieldError[]) => {
    if (!present) return;
    if (count > 0) {
      errs.push(fieldError.forbidden(fld.child(name), "may not specify more than 1 handler type"));
      return;
    }
    count++;
    errs.push(...check());
  };
  const { exec, httpGet, tcpSocket, grpc, sleep } = handler;
  one("exec", exec !== undefined, () =>
    exec!.command.length === 0 ? [fieldError.required(fld.child("exec", "command"))] : [],
  );
  one("httpGet", httpGet !== undefined, () => validateHTTPGetAction(httpGet!, fld.child("httpGet")));
  one("tcpSocket", tcpSocket !== undefined, () =>
    validatePortNumOrName(tcpSocket!.port, fld.child("tcpSocket", "port")),
  );
  one("grpc", grpc !== undefined, () => {
    const port = grpc!.port;
    return isValidPortNum(port).map((msg) => fieldError.invalid(fld.child("grpc", "port"), port, msg));
  });
  one("sleep", sleep !== undefined, () => validateSleepAction(sleep!, gracePeriod, fld.child("sleep")));
  if (count === 0) errs.push(fieldError.required(fld, "must specify a handler type"));
  return errs;
}

/** `validateProbe`. */
function validateProbe(probe: corev1.Probe, gracePeriod: bigint | undefined, fld: FieldPath): FieldError[] {
  const errs = validateHandler(probe.handler ?? {}, gracePeriod, fld);
  errs.push(
    ...nonNegative(probe.initialDelaySeconds, fld.child("initialDelaySeconds")),
    ...nonNegative(probe.timeoutSeconds, fld.child("timeoutSeconds")),
    ...nonNegative(probe.periodSeconds, fld.child("periodSeconds")),
    ...nonNegative(probe.successThreshold, fld.child("successThreshold")),
    ...nonNegative(probe.failureThreshold, fld.child("failureThreshold")),
  );
  const tgps = probe.terminationGracePeriodSeconds;
  if (tgps !== undefined && tgps <= 0n) {
    errs.push(fieldError.invalid(fld.child("terminationGracePeriodSeconds"), tgps, "must be greater than 0"));
  }
  return errs;
}

/** `validateLivenessProbe` and `validateStartupProbe`: successThreshold must be 1. */
function validateLivenessOrStartupProbe(
  probe: corev1.Probe | undefined,
  gracePeriod: bigint | undefined,
  fld: FieldPath,
): FieldError[] {
  if (!probe) return [];
  const errs = validateProbe(probe, gracePeriod, fld);
  if (probe.successThreshold !== 1) {
    errs.push(fieldError.invalid(fld.child("successThreshold"), probe.successThreshold, "must be 1"));
  }
  return errs;
}

/** `validateReadinessProbe`: no probe-level terminationGracePeriodSeconds. */
function validateReadinessProbe(
  probe: corev1.Probe | undefined,
  gracePeriod: bigint | undefined,
  fld: FieldPath,
): FieldError[] {
  if (!probe) return [];
  const errs = validateProbe(probe, gracePeriod, fld);
  if (probe.terminationGracePeriodSeconds !== undefined) {
    errs.push(
      fieldError.invalid(
        fld.child("terminationGracePeriodSeconds"),
        probe.terminationGracePeriodSeconds,
        "must not be set for readinessProbes",
      ),
    );
  }
  return errs;
}

/** `validateLifecycle`. */
function validateLifecycle(
  lifecycle: corev1.Lifecycle,
  gracePeriod: bigint | undefined,
  fld: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  if (lifecycle.postStart)
    errs.push(...validateHandler(lifecycle.postStart, gracePeriod, fld.child("postStart")));
  if (lifecycle.preStop) errs.push(...validateHandler(lifecycle.preStop, gracePeriod, fld.child("preStop")));
  return errs;
}

/** The lifecycle and probe checks `validateContainers` applies to every regular container. */
export function validateContainerProbes(
  c: corev1.Container,
  gracePeriod: bigint | undefined,
  p: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  if (c.lifecycle) errs.push(...validateLifecycle(c.lifecycle, gracePeriod, p.child("lifecycle")));
  errs.push(
    ...validateLivenessOrStartupProbe(c.livenessProbe, gracePeriod, p.child("livenessProbe")),
    ...validateReadinessProbe(c.readinessProbe, gracePeriod, p.child("readinessProbe")),
    ...validateLivenessOrStartupProbe(c.startupProbe, gracePeriod, p.child("startupProbe")),
  );
  return errs;
}

/**
 * `validateInitContainers`, the default branch: with no container restartPolicy modelled every
 * init container is a regular (non-sidecar) one, which may carry neither hooks nor probes.
 */
export function forbidInitContainerProbes(c: corev1.Container, p: FieldPath): FieldError[] {
  const msg = "may not be set for init containers without restartPolicy=Always";
  const errs: FieldError[] = [];
  if (c.lifecycle) errs.push(fieldError.forbidden(p.child("lifecycle"), msg));
  if (c.livenessProbe) errs.push(fieldError.forbidden(p.child("livenessProbe"), msg));
  if (c.readinessProbe) errs.push(fieldError.forbidden(p.child("readinessProbe"), msg));
  if (c.startupProbe) errs.push(fieldError.forbidden(p.child("startupProbe"), msg));
  return errs;
}
