import { afterEach, describe, expect, it } from "vitest";
import type { Registry } from "../../registry/registry.js";
import { systemContext } from "../../request/context.js";
import { pathAttrs, resourceAttrs, serviceAccountUser, user } from "../test-fixtures.js";
import type { RbacAuthorizer } from "./rbac-authorizer.js";
import {
  CLUSTERROLEBINDINGS,
  CLUSTERROLES,
  clusterRole,
  clusterRoleBinding,
  eventually,
  ROLEBINDINGS,
  ROLES,
  rbacRegistry,
  role,
  roleBinding,
  startedAuthorizer,
} from "./rbac-test-env.js";

const ctx = systemContext;
const podReader = { verbs: ["get"], apiGroups: [""], resources: ["pods"] };

let stops: AbortController[] = [];
afterEach(() => {
  for (const s of stops) s.abort();
  stops = [];
});

async function env(...namespaces: string[]): Promise<{ registry: Registry; authz: RbacAuthorizer }> {
  const registry = await rbacRegistry(...namespaces);
  const { authz, stop } = await startedAuthorizer(registry);
  stops.push(stop);
  return { registry, authz };
}

describe("RBAC authorizer over the registry", () => {
  it("allows a service account in the namespace of its RoleBinding and nowhere else", async () => {
    const { registry, authz } = await env("team-a", "team-b");
    await registry.create(ctx(), CLUSTERROLES, "", clusterRole("pod-reader", [podReader]));
    await registry.create(
      ctx(),
      ROLEBINDINGS,
      "team-a",
      roleBinding("team-a", "read-pods", { kind: "ClusterRole", name: "pod-reader" }, [
        "ServiceAccount:builder",
      ]),
    );
    const sa = serviceAccountUser("team-a", "builder");
    await eventually(async () => {
      expect(
        await authz.authorize(resourceAttrs(sa, "get", "pods", { namespace: "team-a", name: "p" })),
      ).toEqual({
        decision: "allow",
        reason:
          'RBAC: allowed by RoleBinding "read-pods/team-a" of ClusterRole "pod-reader" to ServiceAccount "builder/team-a"',
      });
    });
    expect(
      await authz.authorize(resourceAttrs(sa, "get", "pods", { namespace: "team-b", name: "p" })),
    ).toEqual({
      decision: "noOpinion",
      reason: "",
    });
    expect((await authz.authorize(resourceAttrs(sa, "get", "pods"))).decision).toBe("noOpinion");
    expect((await authz.authorize(resourceAttrs(sa, "list", "pods", { namespace: "team-a" }))).decision).toBe(
      "noOpinion",
    );
    // Another account of the same namespace is not the subject.
    const other = serviceAccountUser("team-a", "deployer");
    expect(
      (await authz.authorize(resourceAttrs(other, "get", "pods", { namespace: "team-a" }))).decision,
    ).toBe("noOpinion");
  });

  it("matches the service-account groups, cluster-wide and per namespace", async () => {
    const { registry, authz } = await env("team-a", "team-b");
    await registry.create(ctx(), CLUSTERROLES, "", clusterRole("pod-reader", [podReader]));
    await registry.create(
      ctx(),
      CLUSTERROLES,
      "",
      clusterRole("cm-reader", [{ verbs: ["list"], apiGroups: [""], resources: ["configmaps"] }]),
    );
    await registry.create(
      ctx(),
      CLUSTERROLEBINDINGS,
      "",
      clusterRoleBinding("all-sa", "pod-reader", ["Group:system:serviceaccounts"]),
    );
    await registry.create(
      ctx(),
      ROLEBINDINGS,
      "team-b",
      roleBinding("team-b", "ns-sa", { kind: "ClusterRole", name: "cm-reader" }, [
        "Group:system:serviceaccounts:team-b",
      ]),
    );
    const a = serviceAccountUser("team-a", "x");
    const b = serviceAccountUser("team-b", "y");
    await eventually(async () => {
      expect(await authz.authorize(resourceAttrs(a, "get", "pods", { namespace: "team-b" }))).toEqual({
        decision: "allow",
        reason:
          'RBAC: allowed by ClusterRoleBinding "all-sa" of ClusterRole "pod-reader" to Group "system:serviceaccounts"',
      });
      expect(
        (await authz.authorize(resourceAttrs(b, "list", "configmaps", { namespace: "team-b" }))).reason,
      ).toBe(
        'RBAC: allowed by RoleBinding "ns-sa/team-b" of ClusterRole "cm-reader" to Group "system:serviceaccounts:team-b"',
      );
    });
    expect(
      (await authz.authorize(resourceAttrs(a, "list", "configmaps", { namespace: "team-b" }))).decision,
    ).toBe("noOpinion");
    expect(
      (await authz.authorize(resourceAttrs(user("alice"), "get", "pods", { namespace: "team-b" }))).decision,
    ).toBe("noOpinion");
  });

  it("honours resourceNames and subresources", async () => {
    const { registry, authz } = await env("ns");
    await registry.create(
      ctx(),
      ROLES,
      "ns",
      role("ns", "tokens", [
        { verbs: ["create"], apiGroups: [""], resources: ["serviceaccounts/token"] },
        { verbs: ["get"], apiGroups: [""], resources: ["secrets"], resourceNames: ["s1"] },
      ]),
    );
    await registry.create(
      ctx(),
      ROLEBINDINGS,
      "ns",
      roleBinding("ns", "tokens", { kind: "Role", name: "tokens" }, ["User:alice"]),
    );
    const alice = user("alice");
    await eventually(async () => {
      expect(
        await authz.authorize(
          resourceAttrs(alice, "create", "serviceaccounts/token", { namespace: "ns", name: "sa" }),
        ),
      ).toEqual({
        decision: "allow",
        reason: 'RBAC: allowed by RoleBinding "tokens/ns" of Role "tokens" to User "alice"',
      });
    });
    const no = async (a: Parameters<RbacAuthorizer["authorize"]>[0]) => (await authz.authorize(a)).decision;
    expect(await no(resourceAttrs(alice, "create", "serviceaccounts", { namespace: "ns" }))).toBe(
      "noOpinion",
    );
    expect(await no(resourceAttrs(alice, "get", "serviceaccounts", { namespace: "ns", name: "sa" }))).toBe(
      "noOpinion",
    );
    expect(await no(resourceAttrs(alice, "get", "secrets", { namespace: "ns", name: "s1" }))).toBe("allow");
    expect(await no(resourceAttrs(alice, "get", "secrets", { namespace: "ns", name: "s2" }))).toBe(
      "noOpinion",
    );
    expect(await no(resourceAttrs(alice, "list", "secrets", { namespace: "ns" }))).toBe("noOpinion");
  });

  it("follows the watch: a deleted binding revokes, a recreated one grants again", async () => {
    const { registry, authz } = await env("ns");
    await registry.create(ctx(), CLUSTERROLES, "", clusterRole("pod-reader", [podReader]));
    await registry.create(
      ctx(),
      CLUSTERROLEBINDINGS,
      "",
      clusterRoleBinding("alice-pods", "pod-reader", ["User:alice"]),
    );
    const attrs = resourceAttrs(user("alice"), "get", "pods", { namespace: "ns" });
    await eventually(async () => expect((await authz.authorize(attrs)).decision).toBe("allow"));
    await registry.delete(ctx(), CLUSTERROLEBINDINGS, "", "alice-pods");
    await eventually(async () => expect((await authz.authorize(attrs)).decision).toBe("noOpinion"));
    await registry.create(
      ctx(),
      CLUSTERROLEBINDINGS,
      "",
      clusterRoleBinding("alice-pods", "pod-reader", ["User:alice"]),
    );
    await eventually(async () => expect((await authz.authorize(attrs)).decision).toBe("allow"));
    // Changing the role's rules takes effect as well.
    await registry.update(
      ctx(),
      CLUSTERROLES,
      "",
      "pod-reader",
      clusterRole("pod-reader", [{ ...podReader, verbs: ["list"] }]),
    );
    await eventually(async () => expect((await authz.authorize(attrs)).decision).toBe("noOpinion"));
  });

  it("reports a missing role in the reason and goes on with other bindings", async () => {
    const { registry, authz } = await env("ns");
    await registry.create(
      ctx(),
      CLUSTERROLEBINDINGS,
      "",
      clusterRoleBinding("dangling", "gone", ["User:alice"]),
    );
    await registry.create(
      ctx(),
      ROLEBINDINGS,
      "ns",
      roleBinding("ns", "dangling-role", { kind: "Role", name: "nope" }, ["User:alice"]),
    );
    const attrs = resourceAttrs(user("alice"), "get", "pods", { namespace: "ns" });
    await eventually(async () =>
      expect(await authz.authorize(attrs)).toEqual({
        decision: "noOpinion",
        reason:
          'RBAC: [clusterrole.rbac.authorization.k8s.io "gone" not found, role.rbac.authorization.k8s.io "nope" not found]',
      }),
    );
    await registry.create(ctx(), CLUSTERROLES, "", clusterRole("pod-reader", [podReader]));
    await registry.create(
      ctx(),
      CLUSTERROLEBINDINGS,
      "",
      clusterRoleBinding("ok", "pod-reader", ["User:alice"]),
    );
    await eventually(async () =>
      expect(await authz.authorize(attrs)).toEqual({
        decision: "allow",
        reason: 'RBAC: allowed by ClusterRoleBinding "ok" of ClusterRole "pod-reader" to User "alice"',
      }),
    );
  });

  it("aggregates the rules of label-selected ClusterRoles, following later changes", async () => {
    const { registry, authz } = await env("ns");
    await registry.create(
      ctx(),
      CLUSTERROLES,
      "",
      clusterRole("monitoring", [], {
        aggregationRule: {
          clusterRoleSelectors: [{ matchLabels: { "example.com/aggregate-to-monitoring": "true" } }],
        },
      }),
    );
    await registry.create(
      ctx(),
      CLUSTERROLEBINDINGS,
      "",
      clusterRoleBinding("mon", "monitoring", ["User:mon"]),
    );
    await registry.create(
      ctx(),
      CLUSTERROLES,
      "",
      clusterRole("pods-part", [podReader], { labels: { "example.com/aggregate-to-monitoring": "true" } }),
    );
    await registry.create(
      ctx(),
      CLUSTERROLES,
      "",
      clusterRole("unlabelled", [{ verbs: ["get"], apiGroups: [""], resources: ["secrets"] }]),
    );
    const mon = user("mon");
    await eventually(async () =>
      expect(await authz.authorize(resourceAttrs(mon, "get", "pods", { namespace: "ns" }))).toEqual({
        decision: "allow",
        reason: 'RBAC: allowed by ClusterRoleBinding "mon" of ClusterRole "monitoring" to User "mon"',
      }),
    );
    expect((await authz.authorize(resourceAttrs(mon, "get", "secrets", { namespace: "ns" }))).decision).toBe(
      "noOpinion",
    );
    await registry.create(
      ctx(),
      CLUSTERROLES,
      "",
      clusterRole("health-part", [{ verbs: ["get"], nonResourceURLs: ["/healthz"] }, podReader], {
        labels: { "example.com/aggregate-to-monitoring": "true" },
      }),
    );
    await eventually(async () =>
      expect((await authz.authorize(pathAttrs(mon, "get", "/healthz"))).decision).toBe("allow"),
    );
    // Duplicates are dropped, order follows role names within the selector.
    expect(
      authz.index
        .clusterRoleRules("monitoring")
        ?.map((r) => [...r.verbs, ...r.resources, ...r.nonResourceURLs]),
    ).toEqual([
      ["get", "/healthz"],
      ["get", "pods"],
    ]);
    await registry.delete(ctx(), CLUSTERROLES, "", "health-part");
    await eventually(async () =>
      expect((await authz.authorize(pathAttrs(mon, "get", "/healthz"))).decision).toBe("noOpinion"),
    );
  });

  it("resolves the rules of a user for SelfSubjectRulesReview", async () => {
    const { registry, authz } = await env("ns");
    await registry.create(
      ctx(),
      CLUSTERROLES,
      "",
      clusterRole("mixed", [podReader, { verbs: ["get"], nonResourceURLs: ["/healthz"] }]),
    );
    await registry.create(
      ctx(),
      CLUSTERROLEBINDINGS,
      "",
      clusterRoleBinding("mixed", "mixed", ["Group:devs"]),
    );
    await registry.create(
      ctx(),
      ROLES,
      "ns",
      role("ns", "cm", [{ verbs: ["list"], apiGroups: [""], resources: ["configmaps"] }]),
    );
    await registry.create(
      ctx(),
      ROLEBINDINGS,
      "ns",
      roleBinding("ns", "cm", { kind: "Role", name: "cm" }, ["User:alice"]),
    );
    await registry.create(
      ctx(),
      ROLEBINDINGS,
      "ns",
      roleBinding("ns", "zz-missing", { kind: "ClusterRole", name: "gone" }, ["User:alice"]),
    );
    const alice = user("alice", ["devs"]);
    await eventually(async () => expect((await authz.rulesFor(alice, "ns")).resourceRules).toHaveLength(2));
    expect(await authz.rulesFor(alice, "ns")).toEqual({
      resourceRules: [
        { verbs: ["get"], apiGroups: [""], resources: ["pods"], resourceNames: [] },
        { verbs: ["list"], apiGroups: [""], resources: ["configmaps"], resourceNames: [] },
      ],
      nonResourceRules: [{ verbs: ["get"], nonResourceURLs: ["/healthz"] }],
      incomplete: false,
      evaluationError: 'clusterrole.rbac.authorization.k8s.io "gone" not found',
    });
    // Without a namespace only ClusterRoleBindings count.
    expect((await authz.rulesFor(alice, "")).resourceRules).toHaveLength(1);
  });
});
