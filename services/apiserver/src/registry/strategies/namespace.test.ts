import { msFromTime, StatusError } from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { invalidText, objectFrom } from "../test-objects.js";
import { namespaceStrategy as s } from "./namespace.js";

const ns = (json: Record<string, unknown>) =>
  objectFrom(corev1.NamespaceSchema, { metadata: { name: "team" }, ...json } as never);

describe("namespaceStrategy.validate", () => {
  const cases: [string, string, string][] = [
    ["valid", "team-a", ""],
    ["dots", "a.b", `Namespace "a.b" is invalid: metadata.name: Invalid value: "a.b": must not contain dots`],
    [
      "upper case",
      "Team",
      `Namespace "Team" is invalid: metadata.name: Invalid value: "Team": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
    ],
  ];
  it.each(cases)("%s", (_, name, want) => {
    expect(invalidText("Namespace", name, s.validate(ns({ metadata: { name } })))).toBe(want);
  });
  it("checks spec finalizer names", () => {
    expect(invalidText("Namespace", "team", s.validate(ns({ spec: { finalizers: ["bogus"] } })))).toBe(
      `Namespace "team" is invalid: spec.finalizers: Invalid value: "bogus": name is neither a standard finalizer name nor is it fully qualified`,
    );
  });
  it("rejects a namespace on a cluster-scoped object", () => {
    expect(
      invalidText("Namespace", "team", s.validate(ns({ metadata: { name: "team", namespace: "x" } }))),
    ).toBe(`Namespace "team" is invalid: metadata.namespace: Forbidden: not allowed on this type`);
  });
});

describe("namespace create", () => {
  it("labels, finalizes and activates", () => {
    const obj = ns({ spec: { finalizers: ["example.com/mine"] }, status: { phase: "Terminating" } });
    s.default(obj);
    s.prepareForCreate(obj);
    expect(obj.metadata!.labels).toEqual({ "kubernetes.io/metadata.name": "team" });
    expect(obj.spec!.finalizers).toEqual(["example.com/mine", "kubernetes"]);
    expect(obj.status!.phase).toBe("Active");
  });
});

describe("namespace update", () => {
  it("keeps spec finalizers and status on the main resource", () => {
    const old = ns({ spec: { finalizers: ["kubernetes"] }, status: { phase: "Active" } });
    const next = ns({ spec: { finalizers: [] }, status: { phase: "Terminating" } });
    s.prepareForUpdate(next, old);
    expect([next.spec!.finalizers, next.status!.phase]).toEqual([["kubernetes"], "Active"]);
  });
  it("changes finalizers through /finalize, status through /status", () => {
    const old = ns({ spec: { finalizers: ["kubernetes"] }, status: { phase: "Active" } });
    const fin = ns({ spec: { finalizers: [] }, status: { phase: "Terminating" } });
    s.subresources.finalize!.prepareForUpdate(fin, old);
    expect([fin.spec!.finalizers, fin.status!.phase]).toEqual([[], "Active"]);
    const st = ns({ spec: { finalizers: [] }, status: { phase: "Active" } });
    s.subresources.status!.prepareForUpdate(st, old);
    expect(st.spec!.finalizers).toEqual(["kubernetes"]);
  });
  it("ties the phase to the deletion timestamp", () => {
    const old = ns({ metadata: { name: "team", resourceVersion: "1" }, status: { phase: "Active" } });
    const next = ns({ metadata: { name: "team", resourceVersion: "1" }, status: { phase: "Terminating" } });
    expect(invalidText("Namespace", "team", s.subresources.status!.validateUpdate(next, old))).toBe(
      `Namespace "team" is invalid: status.Phase: Invalid value: "Terminating": may only be 'Active' if \`deletionTimestamp\` is empty`,
    );
  });
});

describe("namespaceStrategy.beforeDelete", () => {
  const now = Date.UTC(2024, 0, 1, 0, 0, 0);
  it.each(["default", "kube-system", "kube-public"])("refuses to delete %s", (name) => {
    try {
      s.beforeDelete!(ns({ metadata: { name } }), now);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(StatusError);
      expect((err as StatusError).status).toMatchObject({
        code: 403,
        reason: "Forbidden",
        message: `namespaces "${name}" is forbidden: this namespace may not be deleted`,
      });
    }
  });
  it("marks on the first delete", () => {
    const r = s.beforeDelete!(ns({ spec: { finalizers: ["kubernetes"] } }), now);
    expect(r.action).toBe("update");
    if (r.action !== "update") return;
    expect(msFromTime(r.object.metadata!.deletionTimestamp)).toBe(now);
    expect(r.object.status!.phase).toBe("Terminating");
  });
  it("answers 409 while content remains", () => {
    const marked = ns({
      metadata: { name: "team", deletionTimestamp: "2024-01-01T00:00:00Z" },
      spec: { finalizers: ["kubernetes"] },
    });
    expect(() => s.beforeDelete!(marked, now)).toThrow(
      'Operation cannot be fulfilled on namespaces "team": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.',
    );
  });
  it("proceeds once finalized", () => {
    const done = ns({ metadata: { name: "team", deletionTimestamp: "2024-01-01T00:00:00Z" } });
    expect(s.beforeDelete!(done, now)).toEqual({ action: "proceed" });
    expect(s.shouldDeleteDuringUpdate!(done)).toBe(true);
  });
});
