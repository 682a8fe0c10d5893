import { describe, expect, it } from "vitest";
import {
  breakdownRule,
  compactRules,
  compactString,
  covers,
  type PlainRule,
  ruleCovers,
} from "./policy-comparator.js";

const r = (x: Partial<PlainRule>): PlainRule => ({
  verbs: [],
  apiGroups: [],
  resources: [],
  resourceNames: [],
  nonResourceURLs: [],
  ...x,
});

describe("breakdownRule", () => {
  it("splits per group, resource, verb and name, then per URL and verb", () => {
    expect(
      breakdownRule(
        r({ apiGroups: [""], resources: ["pods", "secrets"], verbs: ["get", "list"], resourceNames: ["a"] }),
      ).map(compactString),
    ).toEqual([
      '{APIGroups:[""], Resources:["pods"], ResourceNames:["a"], Verbs:["get"]}',
      '{APIGroups:[""], Resources:["pods"], ResourceNames:["a"], Verbs:["list"]}',
      '{APIGroups:[""], Resources:["secrets"], ResourceNames:["a"], Verbs:["get"]}',
      '{APIGroups:[""], Resources:["secrets"], ResourceNames:["a"], Verbs:["list"]}',
    ]);
    expect(breakdownRule(r({ nonResourceURLs: ["/a", "/b"], verbs: ["get"] })).map(compactString)).toEqual([
      '{NonResourceURLs:["/a"], Verbs:["get"]}',
      '{NonResourceURLs:["/b"], Verbs:["get"]}',
    ]);
  });
});

describe("ruleCovers", () => {
  const sub = (res: string, verb = "get", names: string[] = []) =>
    r({ apiGroups: [""], resources: [res], verbs: [verb], resourceNames: names });
  it.each([
    ["same", r({ apiGroups: [""], resources: ["pods"], verbs: ["get"] }), sub("pods"), true],
    ["verb *", r({ apiGroups: [""], resources: ["pods"], verbs: ["*"] }), sub("pods", "delete"), true],
    ["group *", r({ apiGroups: ["*"], resources: ["pods"], verbs: ["get"] }), sub("pods"), true],
    ["resource *", r({ apiGroups: [""], resources: ["*"], verbs: ["get"] }), sub("pods/status"), true],
    [
      "*/status covers pods/status",
      r({ apiGroups: [""], resources: ["*/status"], verbs: ["get"] }),
      sub("pods/status"),
      true,
    ],
    [
      "*/status not pods",
      r({ apiGroups: [""], resources: ["*/status"], verbs: ["get"] }),
      sub("pods"),
      false,
    ],
    [
      "pods not pods/status",
      r({ apiGroups: [""], resources: ["pods"], verbs: ["get"] }),
      sub("pods/status"),
      false,
    ],
    ["other verb", r({ apiGroups: [""], resources: ["pods"], verbs: ["list"] }), sub("pods"), false],
    [
      "named owner, unnamed sub",
      r({ apiGroups: [""], resources: ["pods"], verbs: ["get"], resourceNames: ["a"] }),
      sub("pods"),
      false,
    ],
    [
      "unnamed owner, named sub",
      r({ apiGroups: [""], resources: ["pods"], verbs: ["get"] }),
      sub("pods", "get", ["a"]),
      true,
    ],
    [
      "named both",
      r({ apiGroups: [""], resources: ["pods"], verbs: ["get"], resourceNames: ["a", "b"] }),
      sub("pods", "get", ["b"]),
      true,
    ],
    [
      "URL prefix",
      r({ nonResourceURLs: ["/api/*"], verbs: ["get"] }),
      r({ nonResourceURLs: ["/api/v1"], verbs: ["get"] }),
      true,
    ],
    [
      "URL *",
      r({ nonResourceURLs: ["*"], verbs: ["*"] }),
      r({ nonResourceURLs: ["/healthz"], verbs: ["get"] }),
      true,
    ],
    [
      "URL vs resource owner",
      r({ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }),
      r({ nonResourceURLs: ["/x"], verbs: ["get"] }),
      false,
    ],
  ])("%s", (_name, owner, subRule, want) => {
    expect(ruleCovers(owner, subRule)).toBe(want);
  });
});

describe("covers", () => {
  it("lists the missing pieces", () => {
    const owner = [r({ apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] })];
    const res = covers(owner, [
      r({ apiGroups: [""], resources: ["pods", "secrets"], verbs: ["get", "delete"] }),
    ]);
    expect(res.covered).toBe(false);
    expect(res.missing.map(compactString)).toEqual([
      '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}',
      '{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}',
      '{APIGroups:[""], Resources:["secrets"], Verbs:["delete"]}',
    ]);
    expect(covers(owner, [r({ apiGroups: [""], resources: ["pods"], verbs: ["list"] })])).toEqual({
      covered: true,
      missing: [],
    });
    expect(covers([], [])).toEqual({ covered: true, missing: [] });
  });
});

describe("compactRules", () => {
  it("merges single group/resource/name rules that differ only by verb", () => {
    const out = compactRules([
      r({ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }),
      r({ apiGroups: [""], resources: ["secrets"], verbs: ["delete"] }),
      r({ apiGroups: [""], resources: ["pods"], verbs: ["get"], resourceNames: ["a"] }),
      r({ apiGroups: [""], resources: ["pods"], verbs: ["list"], resourceNames: ["a"] }),
      r({ apiGroups: [""], resources: ["pods"], verbs: ["get"], resourceNames: ["b"] }),
      r({ nonResourceURLs: ["/x"], verbs: ["get"] }),
    ]);
    expect(out.map(compactString)).toEqual([
      '{NonResourceURLs:["/x"], Verbs:["get"]}',
      '{APIGroups:[""], Resources:["secrets"], Verbs:["get" "delete"]}',
      '{APIGroups:[""], Resources:["pods"], ResourceNames:["a"], Verbs:["get" "list"]}',
      '{APIGroups:[""], Resources:["pods"], ResourceNames:["b"], Verbs:["get"]}',
    ]);
  });
});

describe("compactString", () => {
  it("prints only non-empty fields, Go-quoted", () => {
    expect(compactString(r({ verbs: ["get"] }))).toBe('{Verbs:["get"]}');
    expect(compactString(r({}))).toBe("{}");
    expect(
      compactString(r({ apiGroups: ["rbac.authorization.k8s.io"], resources: ['a"b'], verbs: ["*"] })),
    ).toBe('{APIGroups:["rbac.authorization.k8s.io"], Resources:["a\\"b"], Verbs:["*"]}');
  });
});
