import { describe, expect, it } from "vitest";
import type { AuthorizationResult, Authorizer } from "./authorizer.js";
import { createPrivilegedGroupAuthorizer } from "./privileged-group-authorizer.js";
import { pathAttrs, resourceAttrs, user } from "./test-fixtures.js";
import { createUnionAuthorizer, createUnionRuleResolver, isAllowed } from "./union-authorizer.js";

const fixed = (r: AuthorizationResult): Authorizer & { calls: number } => {
  const a = {
    calls: 0,
    async authorize() {
      a.calls++;
      return r;
    },
  };
  return a;
};

describe("privileged group authorizer", () => {
  const masters = createPrivilegedGroupAuthorizer();
  it("allows system:masters everything with an empty reason", async () => {
    const admin = user("kubernetes-admin", ["system:masters", "system:authenticated"]);
    expect(
      await masters.authorize(
        resourceAttrs(admin, "escalate", "clusterroles", { group: "rbac.authorization.k8s.io" }),
      ),
    ).toEqual({
      decision: "allow",
      reason: "",
    });
    expect(await masters.authorize(pathAttrs(admin, "delete", "/anything"))).toEqual({
      decision: "allow",
      reason: "",
    });
  });
  it("has no opinion about anyone else, whatever the name", async () => {
    expect(await masters.authorize(resourceAttrs(user("system:masters", ["devs"]), "get", "pods"))).toEqual({
      decision: "noOpinion",
      reason: "",
    });
  });
});

describe("union authorizer", () => {
  const attrs = resourceAttrs(user("u"), "get", "pods");
  it("stops at the first allow", async () => {
    const first = fixed({ decision: "noOpinion", reason: "r1" });
    const second = fixed({ decision: "allow", reason: "ok" });
    const third = fixed({ decision: "deny", reason: "no" });
    expect(await createUnionAuthorizer([first, second, third]).authorize(attrs)).toEqual({
      decision: "allow",
      reason: "ok",
    });
    expect(third.calls).toBe(0);
  });
  it("stops at the first deny", async () => {
    const deny = fixed({ decision: "deny", reason: "no", evaluationError: "e" });
    const allow = fixed({ decision: "allow", reason: "ok" });
    expect(await createUnionAuthorizer([deny, allow]).authorize(attrs)).toEqual({
      decision: "deny",
      reason: "no",
      evaluationError: "e",
    });
    expect(allow.calls).toBe(0);
  });
  it("joins reasons and aggregates errors when nobody decides", async () => {
    const a = fixed({ decision: "noOpinion", reason: "RBAC: x" });
    const b = fixed({ decision: "noOpinion", reason: "", evaluationError: "boom" });
    const c = fixed({ decision: "noOpinion", reason: "other", evaluationError: "bang" });
    const r = await createUnionAuthorizer([a, b, c]).authorize(attrs);
    expect(r).toEqual({ decision: "noOpinion", reason: "RBAC: x\nother", evaluationError: "[boom, bang]" });
    expect(isAllowed(r)).toBe(false);
  });
  it("has no opinion with no authorizers", async () => {
    expect(await createUnionAuthorizer([]).authorize(attrs)).toEqual({ decision: "noOpinion", reason: "" });
  });
  it("lets system:masters through before RBAC is asked", async () => {
    const rbac = fixed({ decision: "noOpinion", reason: "" });
    const chain = createUnionAuthorizer([createPrivilegedGroupAuthorizer(), rbac]);
    expect(
      isAllowed(await chain.authorize(resourceAttrs(user("root", ["system:masters"]), "delete", "nodes"))),
    ).toBe(true);
    expect(rbac.calls).toBe(0);
    expect(isAllowed(await chain.authorize(resourceAttrs(user("bob"), "delete", "nodes")))).toBe(false);
    expect(rbac.calls).toBe(1);
  });
});

describe("union rule resolver", () => {
  it("concatenates rules and aggregates errors", async () => {
    const r = createUnionRuleResolver([
      {
        rulesFor: async () => ({
          resourceRules: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"], resourceNames: [] }],
          nonResourceRules: [],
          incomplete: false,
          evaluationError: "e1",
        }),
      },
      {
        rulesFor: async () => ({
          resourceRules: [],
          nonResourceRules: [{ verbs: ["get"], nonResourceURLs: ["/x"] }],
          incomplete: true,
          evaluationError: "e2",
        }),
      },
    ]);
    expect(await r.rulesFor(user("u"), "ns")).toEqual({
      resourceRules: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"], resourceNames: [] }],
      nonResourceRules: [{ verbs: ["get"], nonResourceURLs: ["/x"] }],
      incomplete: true,
      evaluationError: "[e1, e2]",
    });
  });
});
