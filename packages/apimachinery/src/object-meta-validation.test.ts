import { create } from "@bufbuild/protobuf";
import { metav1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { aggregateFieldErrors } from "./field-errors.js";
import { timeFromMs } from "./meta-time.js";
import { isDNS1123Subdomain } from "./names.js";
import { validateObjectMeta, validateObjectMetaUpdate } from "./object-meta-validation.js";
import { newInvalid } from "./status-error.js";

const subdomain = (n: string) => isDNS1123Subdomain(n);
const meta = (init: Parameters<typeof create<typeof metav1.ObjectMetaSchema>>[1]) =>
  create(metav1.ObjectMetaSchema, init);

describe("ValidateObjectMeta (reference §8.1)", () => {
  it("requires a name or generateName", () => {
    const errs = validateObjectMeta(meta({ namespace: "default" }), true, subdomain);
    expect(aggregateFieldErrors(errs)).toBe(
      "metadata.name: Required value: name or generateName is required",
    );
  });
  it("requires a namespace for namespaced kinds", () => {
    const errs = validateObjectMeta(meta({ name: "a" }), true, subdomain);
    expect(aggregateFieldErrors(errs)).toBe("metadata.namespace: Required value");
  });
  it("gives two errors for a long bad name, in Kubernetes' 422 message", () => {
    const name = `${"A".repeat(254)}`;
    const err = newInvalid(
      { group: "", kind: "ServiceAccount" },
      name,
      validateObjectMeta(meta({ name, namespace: "default" }), true, subdomain),
    );
    expect(err.code).toBe(422);
    expect(err.message).toBe(
      `ServiceAccount "${name}" is invalid: [metadata.name: Invalid value: "${name}": must be no more than 253 characters, metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')]`,
    );
    expect(err.status.details?.causes).toHaveLength(2);
    expect(err.status.details?.causes?.[0]).toEqual({
      reason: "FieldValueInvalid",
      message: `Invalid value: "${name}": must be no more than 253 characters`,
      field: "metadata.name",
    });
  });
  it("validates generateName with the trailing dash masked", () => {
    expect(
      validateObjectMeta(meta({ generateName: "build-", namespace: "default" }), true, subdomain),
    ).toEqual([]);
    expect(
      validateObjectMeta(meta({ generateName: "Build-", namespace: "default" }), true, subdomain)[0]?.field,
    ).toBe("metadata.generateName");
  });
  it("forbids a namespace on cluster-scoped kinds", () => {
    expect(
      aggregateFieldErrors(validateObjectMeta(meta({ name: "n", namespace: "x" }), false, subdomain)),
    ).toBe("metadata.namespace: Forbidden: not allowed on this type");
  });
  it("checks label values", () => {
    const errs = validateObjectMeta(
      meta({ name: "a", namespace: "d", labels: { k: "bad value" } }),
      true,
      subdomain,
    );
    expect(errs[0]?.field).toBe("metadata.labels[k]");
  });
});

describe("ValidateObjectMetaUpdate (reference §8.3)", () => {
  const old = meta({ name: "a", namespace: "d", uid: "u1", creationTimestamp: timeFromMs(1000_000) });
  it("accepts an unchanged object", () => {
    expect(validateObjectMetaUpdate(meta({ ...old }), old)).toEqual([]);
  });
  it("rejects a different uid and name", () => {
    const errs = validateObjectMetaUpdate(meta({ ...old, uid: "u2", name: "b" }), old);
    expect(aggregateFieldErrors(errs)).toBe(
      '[metadata.name: Invalid value: "b": field is immutable, metadata.uid: Invalid value: "u2": field is immutable]',
    );
  });
});
