import { describe, expect, it } from "vitest";
import { pathAttrs, policyRule, resourceAttrs, user } from "../test-fixtures.js";
import {
  apiGroupMatches,
  nonResourceURLMatches,
  resourceMatches,
  resourceNameMatches,
  ruleAllows,
  trimRightStars,
  verbMatches,
} from "./rule-matching.js";

describe("verbMatches", () => {
  it.each([
    [["get"], "get", true],
    [["get", "list"], "list", true],
    [["*"], "escalate", true],
    [["get"], "list", false],
    [[], "get", false],
    [["GET"], "get", false],
  ])("verbs %j, request %s → %s", (verbs, verb, want) => {
    expect(verbMatches({ verbs }, verb)).toBe(want);
  });
});

describe("apiGroupMatches", () => {
  it.each([
    [[""], "", true],
    [[""], "rbac.authorization.k8s.io", false],
    [["*"], "", true],
    [["*"], "apps", true],
    [["apps", ""], "", true],
    [["apps"], "", false],
    [[], "", false],
  ])("groups %j, request %j → %s", (apiGroups, group, want) => {
    expect(apiGroupMatches({ apiGroups }, group)).toBe(want);
  });
});

describe("resourceMatches", () => {
  it.each([
    [["pods"], "pods", "", true],
    [["pods"], "pods/status", "status", false],
    [["pods/status"], "pods/status", "status", true],
    [["pods/status"], "pods", "", false],
    [["*"], "pods", "", true],
    [["*"], "pods/status", "status", true],
    [["*/status"], "pods/status", "status", true],
    [["*/status"], "nodes/status", "status", true],
    [["*/status"], "pods", "", false],
    [["*/status"], "pods/ephemeralcontainers", "ephemeralcontainers", false],
    [["*/token"], "serviceaccounts/token", "token", true],
    // Kubernetes has no `resource/*` wildcard: it matches only the literal resource "pods/*".
    [["pods/*"], "pods/status", "status", false],
    [["pods/*"], "pods", "", false],
    [["serviceaccounts"], "serviceaccounts/token", "token", false],
    [["serviceaccounts/token"], "serviceaccounts", "", false],
    // `*/sub` compares lengths, so a longer suffix match is no match.
    [["*/atus"], "pods/status", "status", false],
    [[], "pods", "", false],
  ])("resources %j, request %s (sub %j) → %s", (resources, combined, sub, want) => {
    expect(resourceMatches({ resources }, combined, sub)).toBe(want);
  });
});

describe("resourceNameMatches", () => {
  it.each([
    [[], "", true],
    [[], "anything", true],
    [["a"], "a", true],
    [["a", "b"], "b", true],
    [["a"], "", false],
    [["a"], "c", false],
  ])("names %j, request %j → %s", (resourceNames, name, want) => {
    expect(resourceNameMatches({ resourceNames }, name)).toBe(want);
  });
});

describe("nonResourceURLMatches", () => {
  it.each([
    [["/healthz"], "/healthz", true],
    [["/healthz"], "/healthz/ping", false],
    [["/healthz/*"], "/healthz/ping", true],
    [["/healthz/*"], "/healthz", false],
    [["/api*"], "/apis/x", true],
    [["/api/**"], "/api/v1", true],
    [["*"], "/anything", true],
    [["/version/"], "/version", false],
    [["/openid/v1/jwks"], "/openid/v1/jwks", true],
    [[], "/", false],
  ])("urls %j, request %s → %s", (nonResourceURLs, path, want) => {
    expect(nonResourceURLMatches({ nonResourceURLs }, path)).toBe(want);
  });

  it("trims only trailing stars", () => {
    expect(trimRightStars("/a/**")).toBe("/a/");
    expect(trimRightStars("*")).toBe("");
    expect(trimRightStars("/a*b")).toBe("/a*b");
  });
});

describe("ruleAllows", () => {
  const u = user("alice");
  const podsRead = policyRule({ verbs: ["get", "list"], apiGroups: [""], resources: ["pods"] });
  const named = policyRule({
    verbs: ["get"],
    apiGroups: [""],
    resources: ["secrets"],
    resourceNames: ["s1"],
  });
  const token = policyRule({ verbs: ["create"], apiGroups: [""], resources: ["serviceaccounts/token"] });
  const urls = policyRule({ verbs: ["get"], nonResourceURLs: ["/healthz", "/apis/*"] });

  it.each([
    ["get pods", resourceAttrs(u, "get", "pods", { namespace: "a", name: "p" }), podsRead, true],
    ["delete pods", resourceAttrs(u, "delete", "pods", { namespace: "a" }), podsRead, false],
    ["get pods in apps", resourceAttrs(u, "get", "pods", { group: "apps" }), podsRead, false],
    ["get pods/status", resourceAttrs(u, "get", "pods/status"), podsRead, false],
    ["get named secret", resourceAttrs(u, "get", "secrets", { name: "s1" }), named, true],
    ["get other secret", resourceAttrs(u, "get", "secrets", { name: "s2" }), named, false],
    ["list secrets (no name)", resourceAttrs(u, "get", "secrets"), named, false],
    ["create token", resourceAttrs(u, "create", "serviceaccounts/token", { name: "sa" }), token, true],
    ["create serviceaccount", resourceAttrs(u, "create", "serviceaccounts"), token, false],
    ["get /healthz", pathAttrs(u, "get", "/healthz"), urls, true],
    ["get /apis/x", pathAttrs(u, "get", "/apis/x"), urls, true],
    ["post /healthz", pathAttrs(u, "post", "/healthz"), urls, false],
    ["path against resource rule", pathAttrs(u, "get", "/healthz"), podsRead, false],
    ["resource against path rule", resourceAttrs(u, "get", "pods"), urls, false],
  ])("%s", (_name, attrs, rule, want) => {
    expect(ruleAllows(attrs, rule)).toBe(want);
  });
});
