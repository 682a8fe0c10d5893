import type { rbacv1 } from "@tokenplane/proto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { systemContext } from "../request/context.js";
import {
  bootstrapClusterRoleBindings,
  bootstrapClusterRoles,
  ensureBootstrapPolicy,
} from "./bootstrap-policy.js";
import { forbiddenError } from "./forbidden-message.js";
import { compactString } from "./rbac/policy-comparator.js";
import {
  CLUSTERROLEBINDINGS,
  CLUSTERROLES,
  clusterRoleBinding,
  ROLEBINDINGS,
  rbacRegistry,
  roleBinding,
  startedAuthorizer,
} from "./rbac/rbac-test-env.js";
import { pathAttrs, resourceAttrs, serviceAccountUser, user } from "./test-fixtures.js";

// The index follows the registry by watch: give polled expectations time on loaded machines.
vi.setConfig({ expect: { poll: { timeout: 5000, interval: 5 } } });

const ctx = systemContext;
let stops: AbortController[] = [];
afterEach(() => {
  for (const s of stops) s.abort();
  stops = [];
});

const roleNames = bootstrapClusterRoles().map((r) => `clusterroles/${r.metadata!.name}`);
const bindingNames = bootstrapClusterRoleBindings().map((b) => `clusterrolebindings/${b.metadata!.name}`);

describe("ensureBootstrapPolicy", () => {
  it("creates everything once, then changes nothing", async () => {
    const registry = await rbacRegistry();
    const first = await ensureBootstrapPolicy(registry, ctx());
    expect(first.created).toEqual([...roleNames, ...bindingNames]);
    expect(first).toMatchObject({ updated: [], recreated: [], protected: [] });
    const rvBefore = (await registry.list(CLUSTERROLES, "")).resourceVersion;
    const second = await ensureBootstrapPolicy(registry, ctx());
    expect(second).toEqual({ created: [], updated: [], recreated: [], protected: [] });
    expect((await registry.list(CLUSTERROLES, "")).resourceVersion).toBe(rvBefore);
  });

  it("labels and annotates every object as Kubernetes does", async () => {
    const registry = await rbacRegistry();
    await ensureBootstrapPolicy(registry, ctx());
    for (const info of [CLUSTERROLES, CLUSTERROLEBINDINGS]) {
      for (const o of (await registry.list(info, "")).items) {
        expect(o.metadata?.labels["kubernetes.io/bootstrapping"]).toBe("rbac-defaults");
        expect(o.metadata?.annotations["rbac.authorization.kubernetes.io/autoupdate"]).toBe("true");
      }
    }
    const issuer = (await registry.get(
      CLUSTERROLES,
      "",
      "system:service-account-issuer-discovery",
    )) as rbacv1.ClusterRole;
    expect(issuer.rules.map(compactString)).toEqual([
      '{NonResourceURLs:["/.well-known/openid-configuration" "/openid/v1/jwks"], Verbs:["get"]}',
    ]);
    const binding = (await registry.get(
      CLUSTERROLEBINDINGS,
      "",
      "system:service-account-issuer-discovery",
    )) as rbacv1.ClusterRoleBinding;
    expect(binding.subjects.map((s) => [s.kind, s.apiGroup, s.name])).toEqual([
      ["Group", "rbac.authorization.k8s.io", "system:serviceaccounts"],
    ]);
  });

  it("stores the aggregated rules of view, edit and admin; view reads no secrets", async () => {
    const registry = await rbacRegistry();
    await ensureBootstrapPolicy(registry, ctx());
    const rules = async (name: string) =>
      ((await registry.get(CLUSTERROLES, "", name)) as rbacv1.ClusterRole).rules.map(compactString);
    expect(await rules("view")).toEqual([
      '{APIGroups:[""], Resources:["configmaps" "pods" "serviceaccounts"], Verbs:["get" "list" "watch"]}',
      '{APIGroups:[""], Resources:["namespaces/status" "pods/status"], Verbs:["get" "list" "watch"]}',
      '{APIGroups:[""], Resources:["namespaces"], Verbs:["get" "list" "watch"]}',
    ]);
    const edit = await rules("edit");
    expect(edit.slice(0, 5)).toEqual([
      '{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list" "watch"]}',
      '{APIGroups:[""], Resources:["serviceaccounts"], Verbs:["impersonate"]}',
      '{APIGroups:[""], Resources:["pods"], Verbs:["create" "delete" "deletecollection" "patch" "update"]}',
      '{APIGroups:[""], Resources:["configmaps" "secrets" "serviceaccounts"], Verbs:["create" "delete" "deletecollection" "patch" "update"]}',
      '{APIGroups:[""], Resources:["serviceaccounts/token"], Verbs:["create"]}',
    ]);
    expect(edit.slice(5)).toEqual(await rules("view"));
    // Selected roles are gathered in name order: "edit" sorts before "system:aggregate-to-admin".
    const admin = await rules("admin");
    expect(admin.slice(0, edit.length)).toEqual(edit);
    expect(admin.slice(edit.length)).toEqual([
      '{APIGroups:["authorization.k8s.io"], Resources:["localsubjectaccessreviews"], Verbs:["create"]}',
      '{APIGroups:["rbac.authorization.k8s.io"], Resources:["rolebindings" "roles"], Verbs:["create" "delete" "deletecollection" "get" "list" "patch" "update" "watch"]}',
    ]);
  });

  it("adds back what was removed, leaves protected objects alone, recreates a binding with another role", async () => {
    const registry = await rbacRegistry();
    await ensureBootstrapPolicy(registry, ctx());
    const basic = (await registry.get(CLUSTERROLES, "", "system:basic-user")) as rbacv1.ClusterRole;
    basic.rules = basic.rules.slice(0, 1);
    basic.metadata!.labels = { mine: "yes" };
    await registry.update(ctx(), CLUSTERROLES, "", "system:basic-user", basic);
    const discovery = (await registry.get(CLUSTERROLES, "", "system:discovery")) as rbacv1.ClusterRole;
    discovery.rules = [];
    discovery.metadata!.annotations["rbac.authorization.kubernetes.io/autoupdate"] = "false";
    await registry.update(ctx(), CLUSTERROLES, "", "system:discovery", discovery);
    const admins = (await registry.get(
      CLUSTERROLEBINDINGS,
      "",
      "cluster-admin",
    )) as rbacv1.ClusterRoleBinding;
    admins.subjects = clusterRoleBinding("x", "cluster-admin", ["User:ops"]).subjects;
    await registry.update(ctx(), CLUSTERROLEBINDINGS, "", "cluster-admin", admins);
    await registry.delete(ctx(), CLUSTERROLEBINDINGS, "", "tokenplane:admission");
    await registry.create(
      ctx(),
      CLUSTERROLEBINDINGS,
      "",
      clusterRoleBinding("tokenplane:admission", "view", ["User:x"]),
    );

    const r = await ensureBootstrapPolicy(registry, ctx());
    expect(r).toEqual({
      created: [],
      updated: ["clusterroles/system:basic-user", "clusterrolebindings/cluster-admin"],
      recreated: ["clusterrolebindings/tokenplane:admission"],
      protected: ["clusterroles/system:discovery"],
    });
    const basicAfter = (await registry.get(CLUSTERROLES, "", "system:basic-user")) as rbacv1.ClusterRole;
    expect(basicAfter.rules.map(compactString)).toEqual([
      '{APIGroups:["authorization.k8s.io"], Resources:["selfsubjectaccessreviews" "selfsubjectrulesreviews"], Verbs:["create"]}',
      '{APIGroups:["authentication.k8s.io"], Resources:["selfsubjectreviews"], Verbs:["create"]}',
    ]);
    expect(basicAfter.metadata?.labels).toEqual({
      mine: "yes",
      "kubernetes.io/bootstrapping": "rbac-defaults",
    });
    expect(((await registry.get(CLUSTERROLES, "", "system:discovery")) as rbacv1.ClusterRole).rules).toEqual(
      [],
    );
    const adminsAfter = (await registry.get(
      CLUSTERROLEBINDINGS,
      "",
      "cluster-admin",
    )) as rbacv1.ClusterRoleBinding;
    expect(adminsAfter.subjects.map((s) => `${s.kind}:${s.name}`)).toEqual([
      "User:ops",
      "Group:system:masters",
    ]);
    const admission = (await registry.get(
      CLUSTERROLEBINDINGS,
      "",
      "tokenplane:admission",
    )) as rbacv1.ClusterRoleBinding;
    expect([admission.roleRef?.name, admission.subjects.map((s) => s.name)]).toEqual([
      "tokenplane:admission",
      ["tokenplane:admission"],
    ]);
  });
});

describe("the bootstrap policy, enforced", () => {
  async function bootstrapped(...namespaces: string[]) {
    const registry = await rbacRegistry(...namespaces);
    await ensureBootstrapPolicy(registry, ctx());
    const { authz, stop } = await startedAuthorizer(registry);
    stops.push(stop);
    const can = async (attrs: Parameters<typeof authz.authorize>[0]) =>
      (await authz.authorize(attrs)).decision === "allow";
    return { registry, authz, can };
  }

  it("lets every service account read the issuer discovery documents, and nobody anonymous", async () => {
    const { authz, can } = await bootstrapped();
    const sa = serviceAccountUser("any-ns", "any-sa");
    expect(await authz.authorize(pathAttrs(sa, "get", "/openid/v1/jwks"))).toEqual({
      decision: "allow",
      reason:
        'RBAC: allowed by ClusterRoleBinding "system:service-account-issuer-discovery" of ClusterRole "system:service-account-issuer-discovery" to Group "system:serviceaccounts"',
    });
    expect(await can(pathAttrs(sa, "get", "/.well-known/openid-configuration"))).toBe(true);
    expect(await can(pathAttrs(sa, "post", "/openid/v1/jwks"))).toBe(false);
    const anonymous = user("system:anonymous", ["system:unauthenticated"]);
    const attrs = pathAttrs(anonymous, "get", "/.well-known/openid-configuration");
    const decision = await authz.authorize(attrs);
    expect(decision).toEqual({ decision: "noOpinion", reason: "" });
    expect(forbiddenError(attrs, decision.reason).message).toBe(
      'forbidden: User "system:anonymous" cannot get path "/.well-known/openid-configuration"',
    );
    expect(await can(pathAttrs(user("tokenplane:oidc-discovery"), "get", "/openid/v1/jwks"))).toBe(true);
  });

  it("gives public info to everyone and discovery and self-review to the authenticated", async () => {
    const { can } = await bootstrapped();
    const anonymous = user("system:anonymous", ["system:unauthenticated"]);
    const alice = user("alice", ["system:authenticated"]);
    expect(await can(pathAttrs(anonymous, "get", "/healthz"))).toBe(true);
    expect(await can(pathAttrs(anonymous, "get", "/version"))).toBe(true);
    expect(await can(pathAttrs(anonymous, "get", "/api"))).toBe(false);
    expect(await can(pathAttrs(alice, "get", "/apis/rbac.authorization.k8s.io/v1"))).toBe(true);
    expect(await can(pathAttrs(alice, "get", "/openapi/v3"))).toBe(true);
    expect(await can(pathAttrs(alice, "get", "/metrics"))).toBe(false);
    const review = (resource: string, group: string) => resourceAttrs(alice, "create", resource, { group });
    expect(await can(review("selfsubjectaccessreviews", "authorization.k8s.io"))).toBe(true);
    expect(await can(review("selfsubjectrulesreviews", "authorization.k8s.io"))).toBe(true);
    expect(await can(review("selfsubjectreviews", "authentication.k8s.io"))).toBe(true);
    expect(await can(review("subjectaccessreviews", "authorization.k8s.io"))).toBe(false);
    // Kubernetes binds system:basic-user to system:authenticated only.
    expect(
      await can(
        resourceAttrs(anonymous, "create", "selfsubjectaccessreviews", { group: "authorization.k8s.io" }),
      ),
    ).toBe(false);
  });

  it("grants view, edit and admin what Kubernetes does over tokenplane's resources", async () => {
    const { registry, can } = await bootstrapped("ns");
    for (const r of ["view", "edit", "admin"]) {
      await registry.create(
        ctx(),
        ROLEBINDINGS,
        "ns",
        roleBinding("ns", r, { kind: "ClusterRole", name: r }, [`User:${r}-user`]),
      );
    }
    const [viewer, editor, admin] = ["view-user", "edit-user", "admin-user"].map((n) => user(n));
    const a = (who: ReturnType<typeof user>, verb: string, resource: string, group = "") =>
      resourceAttrs(who, verb, resource, { namespace: "ns", group });
    await expect.poll(() => can(a(viewer!, "get", "pods"))).toBe(true);
    await expect.poll(() => can(a(admin!, "create", "roles", "rbac.authorization.k8s.io"))).toBe(true);
    expect(await can(a(viewer!, "list", "serviceaccounts"))).toBe(true);
    expect(await can(a(viewer!, "get", "secrets"))).toBe(false);
    expect(await can(a(viewer!, "create", "serviceaccounts/token"))).toBe(false);
    expect(await can(a(viewer!, "delete", "pods"))).toBe(false);
    expect(await can(a(editor!, "get", "secrets"))).toBe(true);
    expect(await can(a(editor!, "create", "serviceaccounts/token"))).toBe(true);
    expect(await can(a(editor!, "delete", "configmaps"))).toBe(true);
    expect(await can(a(editor!, "create", "roles", "rbac.authorization.k8s.io"))).toBe(false);
    expect(await can(a(admin!, "get", "secrets"))).toBe(true);
    expect(await can(resourceAttrs(viewer!, "get", "pods", { namespace: "other" }))).toBe(false);
  });

  it("gives each component only what it needs", async () => {
    const { can } = await bootstrapped();
    const kcm = user("system:kube-controller-manager", ["system:authenticated"]);
    const admission = user("tokenplane:admission", ["system:authenticated"]);
    const kubelet = user("tokenplane:kubelet-sim", ["system:nodes", "system:authenticated"]);
    const ns = { namespace: "team-a" };
    const table: [ReturnType<typeof user>, string, string, boolean][] = [
      [kcm, "create", "secrets", true],
      [kcm, "delete", "serviceaccounts", true],
      [kcm, "patch", "configmaps", true],
      [kcm, "watch", "pods", true],
      [kcm, "create", "pods", false],
      [kcm, "create", "serviceaccounts/token", false],
      [admission, "get", "serviceaccounts", true],
      [admission, "watch", "serviceaccounts", true],
      [admission, "update", "serviceaccounts", false],
      [admission, "get", "secrets", false],
      [kubelet, "create", "serviceaccounts/token", true],
      [kubelet, "create", "serviceaccounts", false],
      [kubelet, "update", "pods", true],
      [kubelet, "patch", "pods/status", true],
      [kubelet, "create", "pods", false],
      [kubelet, "get", "secrets", true],
      [kubelet, "update", "secrets", false],
      [kubelet, "list", "serviceaccounts", false],
    ];
    for (const [who, verb, resource, want] of table) {
      expect([who.username, verb, resource, await can(resourceAttrs(who, verb, resource, ns))]).toEqual([
        who.username,
        verb,
        resource,
        want,
      ]);
    }
    expect(await can(resourceAttrs(kcm, "list", "namespaces"))).toBe(true);
    expect(await can(resourceAttrs(kubelet, "patch", "nodes/status", { name: "node-1" }))).toBe(true);
    expect(await can(resourceAttrs(kubelet, "create", "nodes"))).toBe(true);
    expect(await can(resourceAttrs(admission, "list", "nodes"))).toBe(false);
  });
});
