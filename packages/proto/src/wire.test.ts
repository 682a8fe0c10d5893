import { create, fromBinary, toBinary, toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { authnv1, corev1, runtime } from "./index.js";

/** Bytes from a hex string; spaces are for reading only. */
function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
}
function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}
function ascii(s: string): string {
  return Buffer.from(s, "ascii").toString("hex");
}
/** Whether `needle` occurs in `haystack`. */
function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).includes(Buffer.from(needle));
}

// What kubectl 1.32 sends for
//   kubectl create token NAME --duration 10m --audience a --bound-object-kind Pod --bound-object-name p --bound-object-uid u
// written by hand (tags and varints spelled out), independent of protobuf-es' encoder.
// Go's encoder also writes empty value fields (name "", generation 0, ...); they must decode as defaults.
const metadata = hex(
  `
  0a 00        # 1 name ""
  12 00        # 2 generateName ""
  1a 00        # 3 namespace ""
  38 00        # 7 generation 0 (varint)
  42 00        # 8 creationTimestamp {}
`.replace(/#.*$/gm, ""),
);
const spec = hex(
  `
  0a 01 ${ascii("a")}              # 1 audiences ["a"]
  1a 0f                            # 3 boundObjectRef, 15 bytes:
     0a 03 ${ascii("Pod")}         #   1 kind
     12 02 ${ascii("v1")}          #   2 apiVersion
     1a 01 ${ascii("p")}           #   3 name
     22 01 ${ascii("u")}           #   4 uid
  20 d8 04                         # 4 expirationSeconds 600 (varint: 0x58|0x80, 0x04)
`.replace(/#.*$/gm, ""),
);
const status = hex("0a 00 12 00"); // 1 token "", 2 expirationTimestamp {}
const tokenRequest = concat(hex("0a 0a"), metadata, hex("12 17"), spec, hex("1a 04"), status);
const typeMeta = hex(
  `
  0a 18 ${ascii("authentication.k8s.io/v1")}   # 1 apiVersion (24 bytes)
  12 0c ${ascii("TokenRequest")}               # 2 kind (12 bytes)
`.replace(/#.*$/gm, ""),
);
const unknown = concat(
  hex("0a 28"), // 1 typeMeta, 40 bytes
  typeMeta,
  hex("12 2b"), // 2 raw, 43 bytes
  tokenRequest,
  hex("1a 00 22 00"), // 3 contentEncoding "", 4 contentType ""
);
const body = concat(hex(ascii("k8s")), hex("00"), unknown);

describe("kubectl's protobuf body for create token", () => {
  it("has the lengths written into it", () => {
    expect([metadata.length, spec.length, status.length]).toEqual([0x0a, 0x17, 0x04]);
    expect([typeMeta.length, tokenRequest.length]).toEqual([0x28, 0x2b]);
    expect(Buffer.from(body.subarray(0, 4)).toString("latin1")).toBe("k8s\0");
  });

  it("decodes as runtime.Unknown holding an authentication/v1 TokenRequest", () => {
    const envelope = fromBinary(runtime.UnknownSchema, body.subarray(4));
    expect(envelope.typeMeta?.apiVersion).toBe("authentication.k8s.io/v1");
    expect(envelope.typeMeta?.kind).toBe("TokenRequest");
    expect(envelope.contentType).toBe("");

    const tr = fromBinary(authnv1.TokenRequestSchema, envelope.raw);
    expect(tr.spec?.audiences).toEqual(["a"]);
    expect(tr.spec?.expirationSeconds).toBe(600n);
    expect(tr.spec?.boundObjectRef?.kind).toBe("Pod");
    expect(tr.spec?.boundObjectRef?.apiVersion).toBe("v1");
    expect(tr.spec?.boundObjectRef?.name).toBe("p");
    expect(tr.spec?.boundObjectRef?.uid).toBe("u");
    expect(tr.metadata?.name).toBe("");
    expect(tr.metadata?.generation).toBe(0n);
    expect(tr.status?.token).toBe("");
  });

  it("re-encodes the spec to the same bytes (same numbers, types and field order)", () => {
    const tr = fromBinary(authnv1.TokenRequestSchema, tokenRequest);
    expect(Buffer.from(toBinary(authnv1.TokenRequestSpecSchema, tr.spec!)).toString("hex")).toBe(
      Buffer.from(spec).toString("hex"),
    );
  });
});

describe("round trips", () => {
  it("keeps Secret data as bytes in map<string, bytes> field 2", () => {
    const secret = create(corev1.SecretSchema, {
      metadata: { name: "s", namespace: "default" },
      data: { k: Uint8Array.of(0, 1, 2, 255) },
      type: "Opaque",
    });
    const bytes = toBinary(corev1.SecretSchema, secret);
    // Field 2 entry: key (1) "k", value (2) 4 bytes.
    expect(contains(bytes, hex(`12 09 0a 01 ${ascii("k")} 12 04 00 01 02 ff`))).toBe(true);
    const back = fromBinary(corev1.SecretSchema, bytes);
    expect(back.data.k).toEqual(Uint8Array.of(0, 1, 2, 255));
    expect(back.type).toBe("Opaque");
    expect(back.immutable).toBe(undefined);
    expect(toJson(corev1.SecretSchema, back)).toEqual({
      metadata: { name: "s", namespace: "default" },
      data: { k: "AAEC/w==" },
      type: "Opaque",
    });
  });

  it("keeps automountServiceAccountToken=false distinct from unset", () => {
    const off = create(corev1.ServiceAccountSchema, {
      metadata: { name: "sa" },
      automountServiceAccountToken: false,
    });
    const offBytes = toBinary(corev1.ServiceAccountSchema, off);
    expect(contains(offBytes, hex("20 00"))).toBe(true); // field 4, varint 0: present
    const offBack = fromBinary(corev1.ServiceAccountSchema, offBytes);
    expect(offBack.automountServiceAccountToken).toBe(false);
    expect(toJson(corev1.ServiceAccountSchema, offBack)).toEqual({
      metadata: { name: "sa" },
      automountServiceAccountToken: false,
    });

    const unset = create(corev1.ServiceAccountSchema, { metadata: { name: "sa" } });
    const unsetBytes = toBinary(corev1.ServiceAccountSchema, unset);
    expect(Buffer.from(unsetBytes).toString("hex")).toBe(`0a04 0a02${ascii("sa")}`.replace(/\s/g, ""));
    const unsetBack = fromBinary(corev1.ServiceAccountSchema, unsetBytes);
    expect(unsetBack.automountServiceAccountToken).toBe(undefined);
    expect(toJson(corev1.ServiceAccountSchema, unsetBack)).toEqual({ metadata: { name: "sa" } });
  });
});
