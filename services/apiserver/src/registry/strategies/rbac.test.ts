import { rbacv1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { invalidText, objectFrom } from "../test-objects.js";
import {
  clusterRoleBindingStrategy,
  clusterRoleStrategy,
  rbacGroup,
  roleBindingStrategy,
  roleStrategy,
} from "./rbac.js";

const G = rbacGroup;
const rb = (json: Record<string, unknown>) => {
  const o = objectFrom(rbacv1.RoleBindingSchema, {
    metadata: { name: "rb", namespace: "ns", resourceVersion: "1" },
    roleRef: { apiGroup: G, kind: "Role", name: "r" },
    ...json,
  } as never);
  roleBindingStrategy.default(o);
  return o;
};
const crb = (json: Record<string, unknown>) => {
  const o = objectFrom(rbacv1.ClusterRoleBindingSchema, {
    metadata: { name: "crb", resourceVersion: "1" },
    roleRef: { apiGroup: G, kind: "ClusterRole", name: "view" },
    ...json,
  } as never);
  clusterRoleBindingStrategy.default(o);
  return o;
};

describe("roleBindingStrategy.validate", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    [
      "valid",
      {
        subjects: [
          { kind: "ServiceAccount", name: "default" },
          { kind: "User", name: "alice" },
        ],
      },
      "",
    ],
    ["roleRef group defaulted", { roleRef: { kind: "ClusterRole", name: "view" } }, ""],
    [
      "roleRef kind",
      { roleRef: { apiGroup: G, kind: "Policy", name: "r" } },
      `RoleBinding.rbac.authorization.k8s.io "rb" is invalid: roleRef.kind: Unsupported value: "Policy": supported values: "Role", "ClusterRole"`,
    ],
    [
      "roleRef missing",
      { roleRef: null },
      `RoleBinding.rbac.authorization.k8s.io "rb" is invalid: [roleRef.apiGroup: Unsupported value: "": supported values: "rbac.authorization.k8s.io", roleRef.kind: Unsupported value: "": supported values: "Role", "ClusterRole", roleRef.name: Required value]`,
    ],
    [
      "subject kind",
      { subjects: [{ kind: "Robot", name: "r2" }] },
      `RoleBinding.rbac.authorization.k8s.io "rb" is invalid: subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"`,
    ],
    [
      "service account with a group",
      { subjects: [{ kind: "ServiceAccount", name: "sa", apiGroup: G }] },
      `RoleBinding.rbac.authorization.k8s.io "rb" is invalid: subjects[0].apiGroup: Unsupported value: "rbac.authorization.k8s.io": supported values: ""`,
    ],
    [
      "user without a name",
      { subjects: [{ kind: "User" }] },
      `RoleBinding.rbac.authorization.k8s.io "rb" is invalid: [subjects[0].name: Required value, subjects[0].name: Invalid value: "": user name cannot be empty]`,
    ],
    [
      "path segment name",
      { metadata: { name: "a/b", namespace: "ns" } },
      `RoleBinding.rbac.authorization.k8s.io "a/b" is invalid: metadata.name: Invalid value: "a/b": may not contain '/'`,
    ],
    ["colons are fine", { metadata: { name: "system:controller:x", namespace: "ns" } }, ""],
  ];
  it.each(cases)("%s", (_, json, want) => {
    const o = rb(json);
    expect(invalidText("RoleBinding", o.metadata!.name, roleBindingStrategy.validate(o), G)).toBe(want);
  });
});

describe("clusterRoleBindingStrategy.validate", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    [
      "valid",
      {
        subjects: [
          { kind: "ServiceAccount", name: "sa", namespace: "ns" },
          { kind: "Group", name: "g" },
        ],
      },
      "",
    ],
    [
      "Role is not allowed",
      { roleRef: { apiGroup: G, kind: "Role", name: "r" } },
      `ClusterRoleBinding.rbac.authorization.k8s.io "crb" is invalid: roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"`,
    ],
    [
      "service account needs a namespace",
      { subjects: [{ kind: "ServiceAccount", name: "sa" }] },
      `ClusterRoleBinding.rbac.authorization.k8s.io "crb" is invalid: subjects[0].namespace: Required value`,
    ],
  ];
  it.each(cases)("%s", (_, json, want) => {
    expect(invalidText("ClusterRoleBinding", "crb", clusterRoleBindingStrategy.validate(crb(json)), G)).toBe(
      want,
    );
  });
});

describe("roleRef is immutable", () => {
  it("binding", () => {
    const errs = roleBindingStrategy.validateUpdate(
      rb({ roleRef: { apiGroup: G, kind: "Role", name: "b" } }),
      rb({}),
    );
    expect(invalidText("RoleBinding", "rb", errs, G)).toBe(
      `RoleBinding.rbac.authorization.k8s.io "rb" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"b"}: cannot change roleRef`,
    );
  });
  it("cluster binding, subjects may change", () => {
    expect(
      clusterRoleBindingStrategy.validateUpdate(crb({ subjects: [{ kind: "User", name: "u" }] }), crb({})),
    ).toEqual([]);
  });
  it("PUT creates RBAC objects", () => {
    expect(roleBindingStrategy.allowCreateOnUpdate && roleStrategy.allowCreateOnUpdate).toBe(true);
  });
});

describe("roles", () => {
  const role = (rules: unknown[]) =>
    objectFrom(rbacv1.RoleSchema, { metadata: { name: "r", namespace: "ns" }, rules } as never);
  const cr = (json: Record<string, unknown>) =>
    objectFrom(rbacv1.ClusterRoleSchema, { metadata: { name: "cr" }, ...json } as never);
  it.each([
    [[{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }], ""],
    [
      [{ apiGroups: [""], resources: ["pods"] }],
      `Role.rbac.authorization.k8s.io "r" is invalid: rules[0].verbs: Required value: verbs must contain at least one value`,
    ],
    [
      [{ verbs: ["get"] }],
      `Role.rbac.authorization.k8s.io "r" is invalid: [rules[0].apiGroups: Required value: resource rules must supply at least one api group, rules[0].resources: Required value: resource rules must supply at least one resource]`,
    ],
    [
      [{ verbs: ["get"], nonResourceURLs: ["/healthz"] }],
      `Role.rbac.authorization.k8s.io "r" is invalid: rules[0].nonResourceURLs: Invalid value: ["/healthz"]: namespaced rules cannot apply to non-resource URLs`,
    ],
  ])("role rules %j", (rules, want) => {
    expect(invalidText("Role", "r", roleStrategy.validate(role(rules)), G)).toBe(want);
  });
  it("cluster roles may use non-resource URLs and aggregation", () => {
    const ok = cr({
      rules: [{ verbs: ["get"], nonResourceURLs: ["/healthz"] }],
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { "rbac.example.com/aggregate": "true" } }] },
    });
    expect(clusterRoleStrategy.validate(ok)).toEqual([]);
    expect(
      invalidText("ClusterRole", "cr", clusterRoleStrategy.validate(cr({ aggregationRule: {} })), G),
    ).toBe(
      `ClusterRole.rbac.authorization.k8s.io "cr" is invalid: aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil`,
    );
    const badOp = cr({
      aggregationRule: { clusterRoleSelectors: [{ matchExpressions: [{ key: "a", operator: "Near" }] }] },
    });
    expect(invalidText("ClusterRole", "cr", clusterRoleStrategy.validate(badOp), G)).toBe(
      `ClusterRole.rbac.authorization.k8s.io "cr" is invalid: aggregationRule.clusterRoleSelectors[0].matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator`,
    );
  });
});
