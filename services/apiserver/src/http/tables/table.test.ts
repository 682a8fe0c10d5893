import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import {
  fromK8sJson,
  type JsonObject,
  type ResourceInfo,
  resourceFor,
  StatusError,
  type StoredObject,
} from "@tokenplane/apimachinery";
import { corev1, rbacv1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { parseIncludeObject, toTable, wantsTable, watchTableEncoder } from "./table.js";

function obj<D extends DescMessage>(schema: D, json: JsonObject): MessageShape<D> {
  const r = fromK8sJson(schema, json);
  if ("error" in r) throw new TypeError(r.error);
  return r.value;
}

const info = (group: string, resource: string): ResourceInfo => resourceFor(group, resource)!;
const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const created = "2025-01-01T12:00:00Z";
const at = (secondsLater: number) => T0 + secondsLater * 1000;

describe("wantsTable", () => {
  const kubectl =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
  it("kubectl get's Accept: the v1 Table", () => {
    expect(wantsTable(kubectl)).toEqual({
      apiVersion: "meta.k8s.io/v1",
      contentType: "application/json;as=Table;v=v1;g=meta.k8s.io",
    });
  });
  it("v1beta1 only", () => {
    expect(wantsTable("application/json;as=Table;v=v1beta1;g=meta.k8s.io")).toEqual({
      apiVersion: "meta.k8s.io/v1beta1",
      contentType: "application/json;as=Table;v=v1beta1;g=meta.k8s.io",
    });
  });
  it("plain JSON first, or no Accept: no Table", () => {
    expect(wantsTable("application/json")).toBeUndefined();
    expect(wantsTable(undefined)).toBeUndefined();
    expect(wantsTable(`application/json,${kubectl}`)).toBeUndefined();
  });
});

describe("parseIncludeObject", () => {
  it("defaults to Metadata and rejects unknown values with Kubernetes' 400", () => {
    expect(parseIncludeObject(undefined)).toBe("Metadata");
    expect(parseIncludeObject("")).toBe("Metadata");
    expect(parseIncludeObject("Object")).toBe("Object");
    expect(parseIncludeObject("None")).toBe("None");
    expect(() => parseIncludeObject("All")).toThrowError(StatusError);
    try {
      parseIncludeObject("All");
    } catch (e) {
      expect((e as StatusError).status).toMatchObject({
        code: 400,
        message: 'unrecognized includeObject value: "All"',
      });
    }
  });
});

describe("toTable", () => {
  const sa = obj(corev1.ServiceAccountSchema, {
    metadata: {
      name: "builder",
      namespace: "default",
      uid: "u1",
      resourceVersion: "42",
      creationTimestamp: created,
    },
    secrets: [{ name: "a" }, { name: "b" }],
  });

  it("service accounts: NAME SECRETS AGE with PartialObjectMetadata rows", () => {
    const t = toTable(info("", "serviceaccounts"), [sa], {
      now: at(3 * 60 + 2),
      listMeta: { resourceVersion: "99" },
    });
    expect(t).toEqual({
      kind: "Table",
      apiVersion: "meta.k8s.io/v1",
      metadata: { resourceVersion: "99" },
      columnDefinitions: [
        expect.objectContaining({ name: "Name", type: "string", format: "name", priority: 0 }),
        expect.objectContaining({ name: "Secrets", type: "string", format: "", priority: 0 }),
        expect.objectContaining({ name: "Age", type: "string", format: "", priority: 0 }),
      ],
      rows: [
        {
          cells: ["builder", 2, "3m2s"],
          object: {
            kind: "PartialObjectMetadata",
            apiVersion: "meta.k8s.io/v1",
            metadata: {
              name: "builder",
              namespace: "default",
              uid: "u1",
              resourceVersion: "42",
              creationTimestamp: created,
            },
          },
        },
      ],
    });
    const cols = (t.columnDefinitions as JsonObject[]).map((c) => c.description);
    expect(cols[0]).toMatch(/^Name must be unique within a namespace\./);
    expect(cols[1]).toMatch(/^Secrets is a list of the secrets in the same namespace/);
  });

  it("includeObject Object and None; v1beta1; a single object's resourceVersion by default", () => {
    const full = toTable(info("", "serviceaccounts"), [sa], {
      now: T0,
      includeObject: "Object",
      apiVersion: "meta.k8s.io/v1beta1",
    });
    expect(full.apiVersion).toBe("meta.k8s.io/v1beta1");
    expect(full.metadata).toEqual({ resourceVersion: "42" });
    expect((full.rows as JsonObject[])[0]?.object).toEqual({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: {
        name: "builder",
        namespace: "default",
        uid: "u1",
        resourceVersion: "42",
        creationTimestamp: created,
      },
      secrets: [{ name: "a" }, { name: "b" }],
    });
    const none = toTable(info("", "serviceaccounts"), [sa], { now: T0, includeObject: "None" });
    expect((none.rows as JsonObject[])[0]).toEqual({ cells: ["builder", 2, "0s"], object: null });
  });

  it("an empty list has rows: [] and a list's continue token", () => {
    const t = toTable(info("", "secrets"), [], {
      now: T0,
      listMeta: { resourceVersion: "7", continue: "abc", remainingItemCount: 3 },
    });
    expect(t.rows).toEqual([]);
    expect(t.metadata).toEqual({ resourceVersion: "7", continue: "abc", remainingItemCount: 3 });
  });

  it("namespaces, secrets, configmaps", () => {
    const ns = obj(corev1.NamespaceSchema, {
      metadata: { name: "dev", creationTimestamp: created },
      status: { phase: "Active" },
    });
    expect(
      (toTable(info("", "namespaces"), [ns], { now: at(10 * 86400) }).rows as JsonObject[])[0]?.cells,
    ).toEqual(["dev", "Active", "10d"]);
    const secret = obj(corev1.SecretSchema, {
      metadata: { name: "tok", creationTimestamp: created },
      type: "kubernetes.io/service-account-token",
      data: { token: "YQ==", "ca.crt": "Yg==", namespace: "Yw==" },
    });
    expect((toTable(info("", "secrets"), [secret], { now: at(45) }).rows as JsonObject[])[0]?.cells).toEqual([
      "tok",
      "kubernetes.io/service-account-token",
      3,
      "45s",
    ]);
    const cm = obj(corev1.ConfigMapSchema, {
      metadata: { name: "kube-root-ca.crt", creationTimestamp: created },
      data: { "ca.crt": "x" },
      binaryData: { bin: "AA==" },
    });
    expect(
      (toTable(info("", "configmaps"), [cm], { now: at(3600 * 5) }).rows as JsonObject[])[0]?.cells,
    ).toEqual(["kube-root-ca.crt", 2, "5h"]);
  });

  it("roles have no printer: the default NAME / CREATED AT columns", () => {
    const role = obj(rbacv1.RoleSchema, { metadata: { name: "reader", creationTimestamp: created } });
    const t = toTable(info("rbac.authorization.k8s.io", "roles"), [role], { now: T0 });
    expect((t.columnDefinitions as JsonObject[]).map((c) => [c.name, c.type, c.format])).toEqual([
      ["Name", "string", "name"],
      ["Created At", "date", ""],
    ]);
    expect((t.rows as JsonObject[])[0]?.cells).toEqual(["reader", created]);
  });

  it("role bindings: ROLE kind/name and the wide USERS GROUPS SERVICEACCOUNTS", () => {
    const rb = obj(rbacv1.RoleBindingSchema, {
      metadata: { name: "rb", namespace: "default", creationTimestamp: created },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
      subjects: [
        { kind: "User", name: "alice" },
        { kind: "User", name: "bob" },
        { kind: "Group", name: "devs" },
        { kind: "ServiceAccount", name: "builder", namespace: "ci" },
      ],
    });
    const t = toTable(info("rbac.authorization.k8s.io", "rolebindings"), [rb], { now: at(90) });
    expect((t.columnDefinitions as JsonObject[]).map((c) => [c.name, c.priority])).toEqual([
      ["Name", 0],
      ["Role", 0],
      ["Age", 0],
      ["Users", 1],
      ["Groups", 1],
      ["ServiceAccounts", 1],
    ]);
    expect((t.rows as JsonObject[])[0]?.cells).toEqual([
      "rb",
      "ClusterRole/view",
      "90s",
      "alice, bob",
      "devs",
      "ci/builder",
    ]);
  });

  it("nodes: STATUS from the Ready condition, ROLES from labels, wide addresses and node info", () => {
    const node = obj(corev1.NodeSchema, {
      metadata: {
        name: "n1",
        creationTimestamp: created,
        labels: {
          "node-role.kubernetes.io/worker": "",
          "node-role.kubernetes.io/control-plane": "",
          "kubernetes.io/role": "edge",
        },
      },
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: "Ready", status: "True" }],
        addresses: [
          { type: "Hostname", address: "n1" },
          { type: "InternalIP", address: "10.0.0.5" },
        ],
        nodeInfo: {
          kubeletVersion: "v1.32.0-sim",
          osImage: "tokenplane",
          kernelVersion: "",
          containerRuntimeVersion: "sim://1",
        },
      },
    });
    const t = toTable(info("", "nodes"), [node], { now: at(8 * 86400) });
    expect((t.rows as JsonObject[])[0]?.cells).toEqual([
      "n1",
      "Ready,SchedulingDisabled",
      "control-plane,edge,worker",
      "8d",
      "v1.32.0-sim",
      "10.0.0.5",
      "<none>",
      "tokenplane",
      "<unknown>",
      "sim://1",
    ]);
    const bare = obj(corev1.NodeSchema, { metadata: { name: "n2" } });
    const bareCells = (toTable(info("", "nodes"), [bare], { now: T0 }).rows as JsonObject[])[0]!
      .cells as string[];
    expect(bareCells.slice(0, 4)).toEqual(["n2", "Unknown", "<none>", "<unknown>"]);
  });
});

describe("watchTableEncoder", () => {
  it("column definitions on the first event only; each Table carries its object's resourceVersion", () => {
    const encode = watchTableEncoder(info("", "configmaps"), { now: () => T0 });
    const a = obj(corev1.ConfigMapSchema, {
      metadata: { name: "a", resourceVersion: "5", creationTimestamp: created },
    });
    const b = obj(corev1.ConfigMapSchema, {
      metadata: { name: "b", resourceVersion: "6", creationTimestamp: created },
    });
    const first = encode(a as StoredObject);
    const second = encode(b as StoredObject);
    expect((first.columnDefinitions as JsonObject[]).map((c) => c.name)).toEqual(["Name", "Data", "Age"]);
    expect(first.metadata).toEqual({ resourceVersion: "5" });
    expect(second.columnDefinitions).toBeNull();
    expect(second.metadata).toEqual({ resourceVersion: "6" });
    expect((second.rows as JsonObject[])[0]?.cells).toEqual(["b", 0, "0s"]);
  });
});
