/**
 * @tokenplane/apimachinery: Kubernetes API machinery shared by every service — Status errors with
 * Kubernetes' texts, field errors, name and metadata validation, selectors, the resource registry,
 * and the Kubernetes JSON and protobuf-envelope codecs.
 */
export * from "./field-errors.js";
export * from "./field-selector.js";
export * from "./go-quote.js";
export * from "./k8s-json.js";
export * from "./label-selector.js";
export * from "./meta-time.js";
export * from "./names.js";
export * from "./object-meta-validation.js";
export * from "./pod-secret-names.js";
export * from "./protobuf-envelope.js";
export * from "./resources.js";
export * from "./rfc3339.js";
export * from "./status-error.js";
export * from "./status-proto.js";
