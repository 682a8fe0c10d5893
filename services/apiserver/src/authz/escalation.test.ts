import { resourceFor, type StatusError } from "@tokenplane/apimachinery";
import { describe, expect, it } from "vitest";
import type { UserInfo } from "../request/context.js";
import { createEscalationCheck, type RbacWriteRequest } from "./escalation.js";
import { createPrivilegedGroupAuthorizer } from "./privileged-group-authorizer.js";
import { PolicyIndex } from "./rbac/policy-index.js";
import { authorizeWithIndex } from "./rbac/rbac-authorizer.js";
import { clusterRole, clusterRoleBinding, role, roleBinding } from "./rbac/rbac-test-env.js";
import { user } from "./test-fixtures.js";
import { createUnionAuthorizer } from "./union-authorizer.js";

const g = "rbac.authorization.k8s.io";
const ROLES = resourceFor(g, "roles")!;
const CLUSTERROLES = resourceFor(g, "clusterroles")!;
const ROLEBINDINGS = resourceFor(g, "rolebindings")!;
const CLUSTERROLEBINDINGS = resourceFor(g, "clusterrolebindings")!;

const bob = user("bob", ["devs", "system:authenticated"]);

/** bob holds get/list pods and get configmaps in "ns" (a RoleBinding to a ClusterRole). */
function setup() {
  const index = new PolicyIndex();
  index.upsert(
    "clusterroles",
    clusterRole("pod-reader", [
      { verbs: ["get", "list"], apiGroups: [""], resources: ["pods"] },
      { verbs: ["get"], apiGroups: [""], resources: ["configmaps"] },
    ]),
  );
  index.upsert(
    "rolebindings",
    roleBinding("ns", "bob", { kind: "ClusterRole", name: "pod-reader" }, ["User:bob"]),
  );
  index.upsert(
    "clusterroles",
    clusterRole("secret-admin", [{ verbs: ["*"], apiGroups: [""], resources: ["secrets"] }]),
  );
  const authorizer = createUnionAuthorizer([
    createPrivilegedGroupAuthorizer(),
    { authorize: async (a) => authorizeWithIndex(index, a) },
  ]);
  return { index, check: createEscalationCheck({ authorizer, index }) };
}

function req(
  partial: Partial<RbacWriteRequest> & Pick<RbacWriteRequest, "info" | "object">,
  who: UserInfo = bob,
): RbacWriteRequest {
  return { operation: "CREATE", namespace: "ns", name: "", user: who, ...partial };
}

async function rejection(p: Promise<void>): Promise<StatusError> {
  try {
    await p;
  } catch (err) {
    return err as StatusError;
  }
  throw new Error("expected the check to fail");
}

describe("escalation check: roles", () => {
  it("allows a Role within the rules the user holds", async () => {
    const { check } = setup();
    await expect(
      check.check(
        req({
          info: ROLES,
          object: role("ns", "r", [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }]),
        }),
      ),
    ).resolves.toBeUndefined();
  });

  it("refuses rules not held, with Kubernetes' text", async () => {
    const { check } = setup();
    const err = await rejection(
      check.check(
        req({
          info: ROLES,
          object: role("ns", "r", [
            { verbs: ["get", "delete", "create"], apiGroups: [""], resources: ["pods"] },
            { verbs: ["get"], apiGroups: [""], resources: ["secrets"], resourceNames: ["s1"] },
          ]),
        }),
      ),
    );
    expect(err.code).toBe(403);
    expect(err.message).toBe(
      'roles.rbac.authorization.k8s.io "r" is forbidden: user "bob" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:[""], Resources:["pods"], Verbs:["delete" "create"]}\n' +
        '{APIGroups:[""], Resources:["secrets"], ResourceNames:["s1"], Verbs:["get"]}',
    );
  });

  it("checks against cluster-wide rules only for ClusterRoles", async () => {
    const { check } = setup();
    const err = await rejection(
      check.check(
        req({
          info: CLUSTERROLES,
          namespace: "",
          object: clusterRole("c", [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }]),
        }),
      ),
    );
    expect(err.message).toBe(
      'clusterroles.rbac.authorization.k8s.io "c" is forbidden: user "bob" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:[""], Resources:["pods"], Verbs:["get"]}',
    );
  });

  it("lets the escalate verb and system:masters through", async () => {
    const { index, check } = setup();
    const big = role("ns", "r", [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }]);
    await expect(
      check.check(req({ info: ROLES, object: big }, user("root", ["system:masters"]))),
    ).resolves.toBeUndefined();
    index.upsert(
      "clusterroles",
      clusterRole("escalator", [{ verbs: ["escalate"], apiGroups: [g], resources: ["roles"] }]),
    );
    index.upsert(
      "rolebindings",
      roleBinding("ns", "esc", { kind: "ClusterRole", name: "escalator" }, ["User:bob"]),
    );
    await expect(check.check(req({ info: ROLES, object: big }))).resolves.toBeUndefined();
  });

  it("requires full authority to set an aggregationRule", async () => {
    const { index, check } = setup();
    index.upsert(
      "clusterroles",
      clusterRole("podsonly", [{ verbs: ["*"], apiGroups: [""], resources: ["pods"] }]),
    );
    index.upsert("clusterrolebindings", clusterRoleBinding("bob-pods", "podsonly", ["User:bob"]));
    const agg = clusterRole("agg", [], {
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { a: "b" } }] },
    });
    const err = await rejection(check.check(req({ info: CLUSTERROLES, namespace: "", object: agg })));
    expect(err.message).toBe(
      'clusterroles.rbac.authorization.k8s.io "agg" is forbidden: must have cluster-admin privileges to use the aggregationRule',
    );
  });

  it("skips updates that only touch ownerReferences and finalizers", async () => {
    const { check } = setup();
    const old = role("ns", "r", [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }]);
    const updated = role("ns", "r", [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }]);
    updated.metadata!.finalizers = ["example.com/keep"];
    await expect(
      check.check(req({ operation: "UPDATE", name: "r", info: ROLES, object: updated, oldObject: old })),
    ).resolves.toBeUndefined();
    updated.metadata!.labels = { x: "y" };
    expect(
      (
        await rejection(
          check.check(req({ operation: "UPDATE", name: "r", info: ROLES, object: updated, oldObject: old })),
        )
      ).code,
    ).toBe(403);
  });

  it("adds resolution errors when a binding of the user points at a missing role", async () => {
    const { index, check } = setup();
    index.upsert("rolebindings", roleBinding("ns", "dangling", { kind: "Role", name: "gone" }, ["User:bob"]));
    const err = await rejection(
      check.check(
        req({
          info: ROLES,
          object: role("ns", "r", [{ verbs: ["watch"], apiGroups: [""], resources: ["pods"] }]),
        }),
      ),
    );
    expect(err.message).toBe(
      'roles.rbac.authorization.k8s.io "r" is forbidden: user "bob" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:[""], Resources:["pods"], Verbs:["watch"]}; resolution errors: [role.rbac.authorization.k8s.io "gone" not found]',
    );
  });
});

describe("escalation check: bindings", () => {
  it("allows binding a role whose rules the user holds", async () => {
    const { check } = setup();
    const b = roleBinding("ns", "b", { kind: "ClusterRole", name: "pod-reader" }, ["User:carol"]);
    await expect(check.check(req({ info: ROLEBINDINGS, object: b }))).resolves.toBeUndefined();
  });

  it("refuses binding a role with more, and lets the bind verb through", async () => {
    const { index, check } = setup();
    const b = roleBinding("ns", "b", { kind: "ClusterRole", name: "secret-admin" }, ["User:carol"]);
    const err = await rejection(check.check(req({ info: ROLEBINDINGS, object: b })));
    expect(err.message).toBe(
      'rolebindings.rbac.authorization.k8s.io "b" is forbidden: user "bob" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:[""], Resources:["secrets"], Verbs:["*"]}',
    );
    // bind on that one ClusterRole, granted in "ns" only.
    index.upsert(
      "roles",
      role("ns", "binder", [
        { verbs: ["bind"], apiGroups: [g], resources: ["clusterroles"], resourceNames: ["secret-admin"] },
      ]),
    );
    index.upsert("rolebindings", roleBinding("ns", "binder", { kind: "Role", name: "binder" }, ["User:bob"]));
    await expect(check.check(req({ info: ROLEBINDINGS, object: b }))).resolves.toBeUndefined();
    const elsewhere = roleBinding("other", "b", { kind: "ClusterRole", name: "secret-admin" }, [
      "User:carol",
    ]);
    expect(
      (await rejection(check.check(req({ info: ROLEBINDINGS, namespace: "other", object: elsewhere })))).code,
    ).toBe(403);
  });

  it("checks ClusterRoleBindings against cluster-wide rules", async () => {
    const { check } = setup();
    const b = clusterRoleBinding("cb", "pod-reader", ["User:carol"]);
    const err = await rejection(check.check(req({ info: CLUSTERROLEBINDINGS, namespace: "", object: b })));
    expect(err.message).toBe(
      'clusterrolebindings.rbac.authorization.k8s.io "cb" is forbidden: user "bob" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:[""], Resources:["configmaps"], Verbs:["get"]}\n' +
        '{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}',
    );
  });

  it("answers 404 for a binding to a missing role", async () => {
    const { check } = setup();
    const err = await rejection(
      check.check(
        req({
          info: ROLEBINDINGS,
          object: roleBinding("ns", "b", { kind: "ClusterRole", name: "gone" }, ["User:x"]),
        }),
      ),
    );
    expect(err.code).toBe(404);
    expect(err.message).toBe('clusterroles.rbac.authorization.k8s.io "gone" not found');
    const err2 = await rejection(
      check.check(
        req({
          info: ROLEBINDINGS,
          object: roleBinding("ns", "b", { kind: "Role", name: "nope" }, ["User:x"]),
        }),
      ),
    );
    expect(err2.message).toBe('roles.rbac.authorization.k8s.io "nope" not found');
  });

  it("ignores other resources", async () => {
    const { check } = setup();
    await expect(
      check.check(
        req({
          info: resourceFor("", "configmaps")!,
          object: role("ns", "r", [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }]),
        }),
      ),
    ).resolves.toBeUndefined();
  });
});
