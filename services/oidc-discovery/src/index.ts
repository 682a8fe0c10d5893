/**
 * @tokenplane/oidc-discovery: the service's building blocks, for its tests and for the e2e tests.
 * Other services do not import this (DESIGN.md: components share packages/* only).
 */
export { type OidcDiscoveryFlags, oidcDiscoveryFlags } from "./config.js";
export {
  type DiscoveryDocuments,
  entityTag,
  renderDiscoveryDocuments,
  type ServedDocument,
} from "./documents/discovery-documents.js";
export {
  checkDiscoveryFlags,
  type DiscoverySettings,
  externalAddress,
} from "./documents/discovery-settings.js";
export { DocumentStore, type UpdateOutcome } from "./documents/document-store.js";
export {
  aggregateMessage,
  OIDC_DISCOVERY_ERROR_CODES,
  OidcDiscoveryError,
  type OidcDiscoveryErrorCode,
} from "./errors.js";
export {
  createDiscoveryHandler,
  type DiscoveryHandlerOptions,
  ifNoneMatchMatches,
  type RequestListener,
  requestPath,
} from "./http/discovery-handler.js";
export { type HttpsServer, type HttpsServerOptions, startHttpsServer } from "./http/https-server.js";
export {
  type ApiserverKeySync,
  type ApiserverKeySyncOptions,
  keysFromKeySet,
  startApiserverKeySync,
} from "./keys/apiserver-key-sync.js";
export {
  type KeyFileSystem,
  type KeyFileWatch,
  loadKeyFiles,
  nodeKeyFileSystem,
  type WatchKeyFilesOptions,
  watchKeyFiles,
} from "./keys/key-files.js";
export {
  KEY_SET_CHANGED_SUBJECT,
  keySetChangedCodec,
  subscribeKeySetChanged,
} from "./keys/key-set-events.js";
export {
  type KeyFileChanges,
  type KeyFiles,
  type KeyStatus,
  type KeySummary,
  keyStatus,
  planAdd,
  planPromote,
  planRetire,
  type RotationPlan,
} from "./rotation/key-rotation.js";
export {
  fetchJwksKids,
  ROTATION_COMMANDS,
  type RotateKeysOptions,
  type RotationCommand,
  rotateKeys,
} from "./rotation/rotate-key-files.js";
export { startOidcDiscovery } from "./start-oidc-discovery.js";
