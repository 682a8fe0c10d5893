import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { invalidText, objectFrom } from "../test-objects.js";
import { enforceMountableSecretsWarning, serviceAccountStrategy as s } from "./service-account.js";

const sa = (json: Record<string, unknown>) =>
  objectFrom(corev1.ServiceAccountSchema, { metadata: { name: "sa", namespace: "ns" }, ...json } as never);

describe("serviceAccountStrategy.validate", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["valid", {}, ""],
    [
      "bad name",
      { metadata: { name: "Bad_Name", namespace: "ns" } },
      `ServiceAccount "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ],
    [
      "no namespace",
      { metadata: { name: "sa" } },
      `ServiceAccount "sa" is invalid: metadata.namespace: Required value`,
    ],
    [
      "no name",
      { metadata: { namespace: "ns" } },
      `ServiceAccount "" is invalid: metadata.name: Required value: name or generateName is required`,
    ],
    [
      "unqualified finalizer",
      { metadata: { name: "sa", namespace: "ns", finalizers: ["foo"] } },
      `ServiceAccount "sa" is invalid: metadata.finalizers[0]: Invalid value: "foo": name is neither a standard finalizer name nor is it fully qualified`,
    ],
    ["qualified finalizer", { metadata: { name: "sa", namespace: "ns", finalizers: ["example.com/x"] } }, ""],
    // Nothing but metadata is validated: unknown secrets are fine (reference §8.2).
    ["secrets not checked", { secrets: [{ name: "missing" }], imagePullSecrets: [{ name: "nope" }] }, ""],
  ];
  it.each(cases)("%s", (_, json, want) => {
    const obj = sa(json);
    expect(invalidText("ServiceAccount", obj.metadata?.name ?? "", s.validate(obj))).toBe(want);
  });
});

describe("serviceAccountStrategy.validateUpdate", () => {
  it("requires a resourceVersion and keeps the name", () => {
    const old = sa({ metadata: { name: "sa", namespace: "ns", uid: "u1", resourceVersion: "5" } });
    const next = sa({ metadata: { name: "sb", namespace: "ns", uid: "u1" } });
    expect(invalidText("ServiceAccount", "sb", s.validateUpdate(next, old))).toBe(
      `ServiceAccount "sb" is invalid: [metadata.name: Invalid value: "sb": field is immutable, metadata.resourceVersion: Invalid value: "": must be specified for an update]`,
    );
  });
});

describe("serviceAccountStrategy prepare", () => {
  it("cuts secret references to their name on create and update", () => {
    const obj = sa({
      secrets: [
        {
          name: "a",
          namespace: "other",
          uid: "u",
          kind: "Secret",
          apiVersion: "v1",
          resourceVersion: "3",
          fieldPath: "x",
        },
      ],
    });
    s.prepareForCreate(obj);
    expect(obj.secrets.map((r) => ({ ...r }))).toEqual([
      {
        $typeName: "k8s.io.api.core.v1.ObjectReference",
        name: "a",
        namespace: "",
        uid: "",
        kind: "",
        apiVersion: "",
        resourceVersion: "",
        fieldPath: "",
      },
    ]);
    const next = sa({ secrets: [{ name: "b", uid: "u2" }] });
    s.prepareForUpdate(next, obj);
    expect(next.secrets.map((r) => [r.name, r.uid])).toEqual([["b", ""]]);
  });
  it("allows unconditional update and no create on update", () => {
    expect([s.allowUnconditionalUpdate, s.allowCreateOnUpdate]).toEqual([true, false]);
  });
});

describe("enforce-mountable-secrets warning", () => {
  const annotated = () =>
    sa({
      metadata: {
        name: "sa",
        namespace: "ns",
        annotations: { "kubernetes.io/enforce-mountable-secrets": "true" },
      },
    });
  it("has Kubernetes' exact text", () => {
    expect(enforceMountableSecretsWarning).toBe(
      "metadata.annotations[kubernetes.io/enforce-mountable-secrets]: deprecated in v1.32+; prefer separate namespaces to isolate access to mounted secrets",
    );
  });
  it("warns on create when present", () => {
    expect(s.warningsOnCreate!(annotated())).toEqual([enforceMountableSecretsWarning]);
    expect(s.warningsOnCreate!(sa({}))).toEqual([]);
  });
  it("warns on update only when newly added", () => {
    expect(s.warningsOnUpdate!(annotated(), sa({}))).toEqual([enforceMountableSecretsWarning]);
    expect(s.warningsOnUpdate!(annotated(), annotated())).toEqual([]);
    expect(s.warningsOnUpdate!(sa({}), annotated())).toEqual([]);
  });
});
