/**
 * Objects ↔ stored values: protobuf binary of the kind's message with `metadata.resourceVersion`
 * cleared (the revision is the key's modRevision, as in Kubernetes' etcd3 store), and the
 * resourceVersion filled back in on read.
 */
import { clone, fromBinary, toBinary } from "@bufbuild/protobuf";
import { metadataOf, type ResourceInfo, type StoredObject } from "@tokenplane/apimachinery";
import type { KeyValue } from "../storage/storage.js";

/** A deep copy of an object (callers' objects are never mutated). */
export function copyObject(info: ResourceInfo, obj: StoredObject): StoredObject {
  return clone(info.schema, obj) as StoredObject;
}

/** The bytes stored for an object: its binary form without a resourceVersion. */
export function encodeObject(info: ResourceInfo, obj: StoredObject): Uint8Array {
  const meta = metadataOf(obj);
  const rv = meta.resourceVersion;
  meta.resourceVersion = "";
  try {
    return toBinary(info.schema, obj);
  } finally {
    meta.resourceVersion = rv;
  }
}

/** The object a stored value holds, with `resourceVersion = String(modRevision)`. */
export function decodeObject(info: ResourceInfo, kv: KeyValue): StoredObject {
  const obj = fromBinary(info.schema, kv.value) as StoredObject;
  metadataOf(obj).resourceVersion = String(kv.modRevision);
  return obj;
}
