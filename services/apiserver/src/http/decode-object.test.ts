import { create, toBinary } from "@bufbuild/protobuf";
import {
  encodeProtobufEnvelope,
  resourceFor,
  type StatusError,
  tokenRequestKind,
} from "@tokenplane/apimachinery";
import { authnv1, authzv1, type corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { clearZeroTimes, decodeObject, summarizeBody } from "./decode-object.js";

const sa = resourceFor("", "serviceaccounts")!;
const bytes = (s: string) => new TextEncoder().encode(s);

function failure(fn: () => unknown): { code: number; message: string } {
  try {
    fn();
  } catch (err) {
    const e = err as StatusError;
    return { code: e.code, message: e.message };
  }
  throw new Error("expected a failure");
}

describe("decodeObject (JSON)", () => {
  it("decodes a body whose type is the URL's, or absent", () => {
    const full = decodeObject<corev1.ServiceAccount>(
      bytes(
        '{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"a"},"automountServiceAccountToken":false}',
      ),
      "json",
      sa,
      "Strict",
    );
    expect(full.object.metadata?.name).toBe("a");
    expect(full.object.automountServiceAccountToken).toBe(false);
    expect(full.warnings).toEqual([]);
    const bare = decodeObject<corev1.ServiceAccount>(
      bytes('{"metadata":{"name":"b"}}'),
      "json",
      sa,
      "Strict",
    );
    expect(bare.object.metadata?.name).toBe("b");
  });

  it.each([
    [
      '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a"}}',
      'Secret in version "v1" cannot be handled as a ServiceAccount: converting (v1.Secret) to (core.ServiceAccount): unknown conversion',
    ],
    [
      '{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role"}',
      'Role in version "v1" cannot be handled as a ServiceAccount: converting (v1.Role) to (core.ServiceAccount): unknown conversion',
    ],
    [
      '{"apiVersion":"apps/v1","kind":"Deployment"}',
      'Deployment in version "v1" cannot be handled as a ServiceAccount: no kind "Deployment" is registered for version "apps/v1" in scheme "pkg/api/legacyscheme/scheme.go:30"',
    ],
    [
      '{"apiVersion":"a/b/c"}',
      'the object provided is unrecognized (must be of type ServiceAccount): unexpected GroupVersion string: a/b/c ({"apiVersion":"a/b/c"})',
    ],
    [
      '{"kind":5}',
      'the object provided is unrecognized (must be of type ServiceAccount): couldn\'t get version/kind; json parse error: json: cannot unmarshal number into Go struct field .kind of type string ({"kind":5})',
    ],
    [
      "[1]",
      `the object provided is unrecognized (must be of type ServiceAccount): couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" } (5b315d)`,
    ],
    [
      '{"metadata":{"name":5}}',
      'ServiceAccount in version "v1" cannot be handled as a ServiceAccount: json: cannot unmarshal number into Go struct field ServiceAccount.metadata.name of type string',
    ],
    [
      "",
      "the object provided is unrecognized (must be of type ServiceAccount): couldn't get version/kind; json parse error: unexpected end of JSON input (<empty>)",
    ],
  ])("refuses %s", (body, message) => {
    expect(failure(() => decodeObject(bytes(body), "json", sa, "Warn"))).toEqual({ code: 400, message });
  });

  it("applies fieldValidation to unknown fields", () => {
    const body = bytes('{"metadata":{"name":"a","labelz":{}},"secrets":[{"name":"s","nam":"x"}],"spec":{}}');
    expect(failure(() => decodeObject(body, "json", sa, "Strict"))).toEqual({
      code: 400,
      message:
        'ServiceAccount in version "v1" cannot be handled as a ServiceAccount: strict decoding error: unknown field "metadata.labelz", unknown field "secrets[0].nam", unknown field "spec"',
    });
    expect(decodeObject(body, "json", sa, "Warn").warnings).toEqual([
      'unknown field "metadata.labelz"',
      'unknown field "secrets[0].nam"',
      'unknown field "spec"',
    ]);
    expect(decodeObject(body, "json", sa, "Ignore").warnings).toEqual([]);
  });
});

describe("decodeObject (YAML)", () => {
  it("reads YAML 1.1 as Kubernetes does (yes is true)", () => {
    const r = decodeObject<corev1.ServiceAccount>(
      bytes(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\nautomountServiceAccountToken: yes\n",
      ),
      "yaml",
      sa,
      "Strict",
    );
    expect(r.object.automountServiceAccountToken).toBe(true);
  });

  it("says where YAML is broken", () => {
    const r = failure(() => decodeObject(bytes("a: [b\n"), "yaml", sa, "Strict"));
    expect(r.code).toBe(400);
    expect(r.message).toMatch(
      /^the object provided is unrecognized \(must be of type ServiceAccount\): error converting YAML to JSON: yaml: line \d+: .+ \(613a205b620a\)$/,
    );
  });
});

describe("decodeObject (protobuf)", () => {
  const tokenRequest = () =>
    toBinary(
      authnv1.TokenRequestSchema,
      create(authnv1.TokenRequestSchema, {
        metadata: { creationTimestamp: { seconds: 0n, nanos: 0 } },
        spec: { audiences: ["a"], expirationSeconds: 600n },
      }),
    );

  it("decodes the envelope kubectl create token sends", () => {
    const body = encodeProtobufEnvelope("authentication.k8s.io/v1", "TokenRequest", tokenRequest());
    const r = decodeObject<authnv1.TokenRequest>(body, "protobuf", tokenRequestKind, "Strict");
    expect(r.object.spec?.audiences).toEqual(["a"]);
    expect(r.object.spec?.expirationSeconds).toBe(600n);
    // Go's empty Time is no time at all
    expect(r.object.metadata?.creationTimestamp).toBeUndefined();
  });

  it.each([
    [new Uint8Array(), "empty data (<empty>)"],
    [
      bytes("{}"),
      "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] ({})",
    ],
    [new Uint8Array([0x6b, 0x38, 0x73, 0x00]), "empty body (6b387300)"],
  ])("refuses a body that is not an envelope", (body, why) => {
    expect(failure(() => decodeObject(body, "protobuf", sa, "Strict"))).toEqual({
      code: 400,
      message: `the object provided is unrecognized (must be of type ServiceAccount): ${why}`,
    });
  });

  it("refuses an envelope of another kind", () => {
    const body = encodeProtobufEnvelope("authentication.k8s.io/v1", "TokenRequest", tokenRequest());
    expect(failure(() => decodeObject(body, "protobuf", sa, "Strict")).message).toBe(
      'TokenRequest in version "v1" cannot be handled as a ServiceAccount: converting (v1.TokenRequest) to (core.ServiceAccount): unknown conversion',
    );
  });
});

describe("clearZeroTimes", () => {
  it("clears empty times at any depth and keeps real ones", () => {
    const review = create(authzv1.SelfSubjectAccessReviewSchema, {
      metadata: {
        creationTimestamp: { seconds: 0n, nanos: 0 },
        deletionTimestamp: { seconds: 5n, nanos: 0 },
      },
    });
    clearZeroTimes(authzv1.SelfSubjectAccessReviewSchema, review);
    expect(review.metadata?.creationTimestamp).toBeUndefined();
    expect(review.metadata?.deletionTimestamp?.seconds).toBe(5n);
  });
});

describe("summarizeBody", () => {
  it("quotes JSON objects as text and anything else as hex, 30 bytes at most", () => {
    expect(summarizeBody(new Uint8Array())).toBe("<empty>");
    expect(summarizeBody(bytes('{"a":1}'))).toBe('{"a":1}');
    expect(summarizeBody(bytes(`{"a":"${"x".repeat(40)}"}`))).toBe(`{"a":"${"x".repeat(24)} ...`);
    expect(summarizeBody(bytes("abc"))).toBe("616263");
  });
});
