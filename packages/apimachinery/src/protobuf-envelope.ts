/**
 * `application/vnd.kubernetes.protobuf` bodies: the 4 bytes `k8s\0`, then a `runtime.Unknown`
 * holding the TypeMeta and the raw message (kubectl-wire.md "Protobuf bodies").
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { runtime } from "@tokenplane/proto";

/** The media type. */
export const protobufMediaType = "application/vnd.kubernetes.protobuf";
const magic = new Uint8Array([0x6b, 0x38, 0x73, 0x00]);

/** A decoded envelope: the type it names and the raw bytes of the object. */
export interface ProtobufEnvelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
}

/** Decodes an envelope, or says in one line what is wrong with the bytes. */
export function decodeProtobufEnvelope(body: Uint8Array): { value: ProtobufEnvelope } | { error: string } {
  if (body.length < 4 || !magic.every((b, i) => body[i] === b)) {
    return {
      error:
        "provided object is not a valid kubernetes protobuf: the body does not start with the 'k8s\\x00' prefix",
    };
  }
  let unknown: runtime.Unknown;
  try {
    unknown = fromBinary(runtime.UnknownSchema, body.subarray(4));
  } catch (err) {
    return { error: `unable to decode protobuf body: ${err instanceof Error ? err.message : String(err)}` };
  }
  return {
    value: {
      apiVersion: unknown.typeMeta?.apiVersion ?? "",
      kind: unknown.typeMeta?.kind ?? "",
      raw: unknown.raw,
    },
  };
}

/** Encodes an object's bytes into an envelope (used by tests and clients). */
export function encodeProtobufEnvelope(apiVersion: string, kind: string, raw: Uint8Array): Uint8Array {
  const unknown = create(runtime.UnknownSchema, { typeMeta: { apiVersion, kind }, raw });
  const inner = toBinary(runtime.UnknownSchema, unknown);
  const out = new Uint8Array(4 + inner.length);
  out.set(magic, 0);
  out.set(inner, 4);
  return out;
}
