/**
 * @tokenplane/runtime: what every tokenplane service is built from. This file is the package's
 * whole public surface.
 */

// Metrics on a service's registry, without depending on prom-client directly.
export type { Counter, Gauge, Histogram, Registry as MetricsRegistry } from "prom-client";
// NATS: connection, stream, publishing and durable consumption of events.
export { backoffDelay } from "./backoff.js";
// Time.
export { type Clock, FakeClock, systemClock } from "./clock.js";
// Configuration: typed flags from argv and environment.
export {
  type BoolFlag,
  type CamelCase,
  type Config,
  type DurationFlag,
  defineFlags,
  type EnumFlag,
  envName,
  type FlagSchema,
  type FlagSpec,
  type FlagValue,
  formatHelp,
  type IntFlag,
  type ParseFlagsOptions,
  parseFlags,
  type StringArrayFlag,
  type StringFlag,
  type StringSliceFlag,
} from "./config.js";
export {
  type ConsumeDurableOptions,
  consumeDurable,
  type DurableConsumer,
  type EventHandler,
  type EventMessage,
} from "./consume-durable.js";
export { formatDuration, parseDuration } from "./duration.js";
export { type DurableConsumerSpec, ensureDurableConsumer } from "./ensure-consumer.js";
export { ConfigError, type ConfigErrorCode, HelpRequested } from "./errors.js";
export { headersToRecord, type PublishOptions, publish } from "./events.js";
// gRPC: Kubernetes Status over gRPC, the mutual-TLS server with health, and clients.
export {
  type AdmissionClient,
  type ApiserverClient,
  type ClientTlsFiles,
  createAdmissionClient,
  createApiserverClient,
  createGrpcChannel,
  createTracedClient,
  type GrpcChannel,
  type GrpcChannelOptions,
  INITIAL_RECONNECT_BACKOFF_MS,
  MAX_RECONNECT_BACKOFF_MS,
  type ServiceClientOptions,
} from "./grpc-client.js";
export {
  type AddServiceOptions,
  type Authorize,
  createGrpcServer,
  type GrpcHealth,
  type GrpcServer,
  type GrpcServerOptions,
  type Peer,
  peer,
  type ServerTlsFiles,
} from "./grpc-server.js";
export {
  type CallTarget,
  captureWarnings,
  grpcCodeForHttp,
  grpcErrorToStatusError,
  httpForGrpcCode,
  INTERNAL_ERROR_MESSAGE,
  isExpectedError,
  STATUS_METADATA_KEY,
  statusErrorToGrpc,
  statusFromMetadata,
  WARNING_METADATA_KEY,
  warningMetadata,
  warningsFromMetadata,
} from "./grpc-status.js";
// Typed lifecycle events and the informer fed by them.
export {
  createInformer,
  type Informer,
  type InformerList,
  type InformerOptions,
  type InformerStats,
} from "./informer.js";
export {
  type CacheChange,
  type CacheItem,
  type EventOutcome,
  InformerCache,
  type InformerCacheOptions,
} from "./informer-cache.js";
export {
  decodeSubjectToken,
  type EnsureEventStreamOptions,
  EVENTS_DUPLICATE_WINDOW_MS,
  EVENTS_MAX_AGE_MS,
  EVENTS_STREAM,
  EVENTS_SUBJECT_PREFIX,
  EVENTS_SUBJECTS,
  encodeSubjectToken,
  ensureEventStream,
  type LifecycleEventType,
  lifecycleEventCodec,
  lifecycleEventSubject,
  lifecycleEvents,
  namespaceEventsFilter,
  newLifecycleEvent,
  type ObjectAddress,
  parseResourceVersion,
  publishLifecycleEvent,
  resourceEventsFilter,
} from "./lifecycle-events.js";
// Logging, with secrets redacted and trace ids on every line.
export { createLogger, type Logger, type LoggerOptions, type LogLevel } from "./logger.js";
export { counter, gauge, histogram, type MetricSpec, metricValue } from "./metric-helpers.js";
// Metrics and shutdown.
export {
  createMetrics,
  type MetricsOptions,
  type MetricsServer,
  type MetricsServerOptions,
  startMetricsServer,
} from "./metrics.js";
export {
  type ConnectNatsOptions,
  connectNats,
  type EnsureStreamOptions,
  ensureStream,
  isApiError,
  redactUrl,
} from "./nats.js";
// Kubernetes' rate-limited work queue and its workers.
export {
  bucketRateLimiter,
  DEFAULT_BUCKET_BURST,
  DEFAULT_BUCKET_QPS,
  DEFAULT_ITEM_BACKOFF_BASE_MS,
  DEFAULT_ITEM_BACKOFF_MAX_MS,
  defaultControllerRateLimiter,
  itemExponentialFailureRateLimiter,
  maxOfRateLimiter,
  type RateLimiter,
} from "./rate-limiter.js";
export { EXACT_REDACT_PATHS, REDACT_PATHS, REDACTED, redactNested, redactSecrets } from "./redact.js";
export { type RunWorkersOptions, runWorkers } from "./run-workers.js";
// The service kit: what each service's main.ts is built from.
export {
  apiserverClientFlags,
  type CommonFlags,
  commonFlags,
  type NatsHandles,
  runService,
  type ServiceDefinition,
  type ServiceFlags,
  type ServiceRuntime,
  type ServiceStarted,
} from "./service.js";
export {
  type Closer,
  handleShutdown,
  type ProcessLike,
  type Shutdown,
  type ShutdownOptions,
  type ShutdownSignal,
} from "./shutdown.js";
// Trace context (W3C traceparent + request id).
export {
  childOf,
  currentTrace,
  extractTrace,
  formatTraceparent,
  type HeaderRecord,
  injectTrace,
  isValidTraceparent,
  newTrace,
  type ParseResult,
  parseTraceparent,
  REQUEST_ID_HEADER,
  runWithTrace,
  TRACEPARENT_HEADER,
  type TraceContext,
  type TraceParent,
} from "./trace.js";
export {
  type Codec,
  jsonCodec,
  type TypedEventMessage,
  type TypedSubject,
  typedSubject,
} from "./typed-subject.js";
export { createWorkQueue, type WorkQueue, type WorkQueueOptions } from "./workqueue.js";
