/**
 * Kubernetes JSON for protobuf-es messages, driven by the message descriptors.
 *
 * Kubernetes' JSON is not proto3 JSON: int64 are JSON numbers, `metav1.Time` is an RFC 3339
 * string, `Quantity` a string, `ExtraValue` a bare array, `RawExtension` inline JSON, and some
 * embedded structs are inlined (`Volume.volumeSource`, every `localObjectReference`). Zero values
 * of plain fields are omitted (Go's `omitempty`); `optional` fields are written whenever set, so
 * `automountServiceAccountToken: false` survives. Decoding reports unknown fields by path, as
 * `fieldValidation` needs, and names the field in every type error.
 *
 * This module is the codec's public face: the encoder is `to-k8s-json.ts`, the decoder
 * `from-k8s-json.ts`, and what both know about the types beyond their descriptors
 * `k8s-json-schema.ts`.
 */

export {
  type DecodeOptions,
  type DecodeResult,
  fromK8sJson,
  type UnknownFieldPolicy,
} from "./from-k8s-json.js";
export type { JsonObject, JsonValue } from "./json-value.js";
export { toK8sJson } from "./to-k8s-json.js";
