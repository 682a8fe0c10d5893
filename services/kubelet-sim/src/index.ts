/**
 * @tokenplane/kubelet-sim: the simulated kubelet as a library (the service is `main.ts`). This
 * file is the package's whole public surface: the factory, the behaviour file, and the pure
 * kubelet rules it is built from (token manager, refresh rules, file modes, projection, spread,
 * pod lifecycle and statuses), for tests and benchmarks.
 */
export {
  type Behaviour,
  behaviourToYaml,
  DEFAULT_BEHAVIOUR,
  type Delay,
  drawDelay,
  maxPodsOf,
  parseBehaviour,
  type TaintSpec,
} from "./behaviour/behaviour.js";
export { grpcKubeletApi, type KubeletApi, type ListedKinds } from "./client/kubelet-api.js";
export { kubeletSimFlags, type WorkloadMode, workloadModes } from "./config.js";
export {
  errorMessage,
  isKubeletSimError,
  KUBELET_SIM_ERROR_CODES,
  KubeletSimError,
  type KubeletSimErrorCode,
} from "./errors.js";
export {
  createKubeletSim,
  DURABLE_PREFIX,
  type KubeletSim,
  type KubeletSimConfig,
  workloadLabelled,
} from "./kubelet.js";
export { createKubeletMetrics, type KubeletMetrics } from "./metrics/kubelet-metrics.js";
export {
  nodeInternalIp,
  nodeNames,
  nodeObject,
  nodePodCidr,
  parseNodeLabels,
  podIp,
} from "./nodes/node-objects.js";
export {
  initialProgress,
  nextPodAction,
  type PodAction,
  type PodProgress,
  retryDelay,
  terminationTime,
} from "./pods/pod-lifecycle.js";
export { containerCreatingPatch, observedProgress, runningPatch } from "./pods/pod-status.js";
export { createLimiter, type Limiter, type LimiterOptions, retryAfterMs } from "./scheduling/limiter.js";
export { chooseNode, type NodeCandidate, podFitsNode, toleratesTaint } from "./scheduling/spread.js";
export { createTimerQueue, type Timer, type TimerQueue } from "./scheduling/timer-queue.js";
export {
  type BoundObjectRef,
  cacheKey,
  drawJitterSeconds,
  expired,
  GC_PERIOD_MS,
  MAX_JITTER_SECONDS,
  MAX_TTL_MS,
  refreshDueAt,
  requiresRefresh,
  type TokenRequestLike,
  type TokenSpec,
  type TokenStatus,
} from "./tokens/refresh-rules.js";
export {
  type CachedToken,
  TokenManager,
  type TokenManagerOptions,
  type TokenResult,
} from "./tokens/token-manager.js";
export {
  adoptToken,
  decodeTokenMetadata,
  encodeTokenMetadata,
  type TokenRecord,
  tokenIdentity,
} from "./tokens/token-metadata.js";
export { canChown, DATA_DIR_NAME, validatePayloadPath, writeAtomically } from "./volumes/atomic-writer.js";
export { fsGroupFrom, fsUserFrom, tokenFileMode } from "./volumes/file-modes.js";
export { podDir, projectedVolumeDir, tokenMetadataPath } from "./volumes/pod-dirs.js";
export {
  type FileProjection,
  type Payload,
  projectVolume,
  tokenSourcesOf,
  tokenSpecFor,
} from "./volumes/projection.js";
export {
  SELF_SUBJECT_REVIEW_PATH,
  SERVICE_ACCOUNT_MOUNT_PATH,
  WORKLOAD_LABEL,
} from "./workloads/workload-runner.js";
