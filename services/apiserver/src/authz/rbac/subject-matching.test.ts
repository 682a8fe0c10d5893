import { describe, expect, it } from "vitest";
import { serviceAccountUser, user } from "../test-fixtures.js";
import {
  appliesTo,
  appliesToUser,
  describeSubject,
  matchesServiceAccountUsername,
  type SubjectLike,
} from "./subject-matching.js";

const rbac = "rbac.authorization.k8s.io";
const userSubject = (name: string): SubjectLike => ({ kind: "User", apiGroup: rbac, name, namespace: "" });
const groupSubject = (name: string): SubjectLike => ({ kind: "Group", apiGroup: rbac, name, namespace: "" });
const saSubject = (name: string, namespace = ""): SubjectLike => ({
  kind: "ServiceAccount",
  apiGroup: "",
  name,
  namespace,
});

describe("matchesServiceAccountUsername", () => {
  it.each([
    ["ns", "sa", "system:serviceaccount:ns:sa", true],
    ["ns", "sa", "system:serviceaccount:ns:sa2", false],
    ["ns", "sa", "system:serviceaccount:ns:s", false],
    ["ns", "sa", "system:serviceaccount:ns2:sa", false],
    ["ns", "sa", "system:serviceaccount:nssa", false],
    ["ns", "sa", "system:serviceaccounts:ns:sa", false],
    ["ns", "sa", "ns:sa", false],
    ["", "sa", "system:serviceaccount::sa", true],
  ])("%s/%s vs %s → %s", (ns, name, username, want) => {
    expect(matchesServiceAccountUsername(ns, name, username)).toBe(want);
  });
});

describe("appliesToUser", () => {
  const sa = serviceAccountUser("team-a", "builder");
  it.each([
    ["user by name", user("alice"), userSubject("alice"), "", true],
    ["other user", user("bob"), userSubject("alice"), "", false],
    ["group member", user("bob", ["devs"]), groupSubject("devs"), "", true],
    ["not a member", user("bob", ["ops"]), groupSubject("devs"), "", false],
    ["SA group", sa, groupSubject("system:serviceaccounts"), "", true],
    ["SA namespace group", sa, groupSubject("system:serviceaccounts:team-a"), "", true],
    ["other namespace group", sa, groupSubject("system:serviceaccounts:team-b"), "", false],
    ["SA with namespace", sa, saSubject("builder", "team-a"), "other", true],
    ["SA defaulted to binding namespace", sa, saSubject("builder"), "team-a", true],
    ["SA defaulted to another namespace", sa, saSubject("builder"), "team-b", false],
    ["SA without any namespace", sa, saSubject("builder"), "", false],
    ["user subject named like the SA", sa, userSubject("system:serviceaccount:team-a:builder"), "", true],
    ["unknown kind", user("alice"), { kind: "Robot", apiGroup: "", name: "alice", namespace: "" }, "", false],
  ])("%s", (_name, who, subject, ns, want) => {
    expect(appliesToUser(who, subject, ns)).toBe(want);
  });
});

describe("appliesTo", () => {
  it("returns the index of the first matching subject", () => {
    const subjects = [userSubject("bob"), groupSubject("devs"), userSubject("alice")];
    expect(appliesTo(user("alice", ["devs"]), subjects, "")).toBe(1);
    expect(appliesTo(user("alice"), subjects, "")).toBe(2);
    expect(appliesTo(user("carol"), subjects, "")).toBe(-1);
    expect(appliesTo(user("carol"), [], "")).toBe(-1);
  });
});

describe("describeSubject", () => {
  it.each([
    [userSubject("alice"), "", 'User "alice"'],
    [groupSubject("system:masters"), "", 'Group "system:masters"'],
    [saSubject("builder", "team-a"), "x", 'ServiceAccount "builder/team-a"'],
    [saSubject("builder"), "team-b", 'ServiceAccount "builder/team-b"'],
  ])("%j → %s", (subject, ns, want) => {
    expect(describeSubject(subject, ns)).toBe(want);
  });
});
