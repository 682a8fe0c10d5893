import { describe, expect, it } from "vitest";
import { CryptoError } from "./errors.js";
import {
  credentialIdForJti,
  makeGroupNames,
  makeUsername,
  matchesUsername,
  parseUsername,
  type ServiceAccountInfo,
  splitUsername,
  toUserInfo,
} from "./user-info.js";

describe("toUserInfo (reference §1.7)", () => {
  const sa = { namespace: "test", name: "my-sa", uid: "sa-uid" };
  it.each<[string, Partial<ServiceAccountInfo>, Record<string, string[]>]>([
    ["no extras", {}, {}],
    [
      "pod name and uid",
      { podName: "p", podUID: "p-uid" },
      { "authentication.kubernetes.io/pod-name": ["p"], "authentication.kubernetes.io/pod-uid": ["p-uid"] },
    ],
    ["pod name without uid → neither", { podName: "p" }, {}],
    ["pod uid without name → neither", { podUID: "p-uid" }, {}],
    [
      "credential id",
      { credentialId: "JTI=abc" },
      { "authentication.kubernetes.io/credential-id": ["JTI=abc"] },
    ],
    ["node name alone", { nodeName: "n" }, { "authentication.kubernetes.io/node-name": ["n"] }],
    [
      "node name and uid",
      { nodeName: "n", nodeUID: "n-uid" },
      { "authentication.kubernetes.io/node-name": ["n"], "authentication.kubernetes.io/node-uid": ["n-uid"] },
    ],
    ["node uid without name → nothing", { nodeUID: "n-uid" }, {}],
    [
      "everything",
      { podName: "p", podUID: "p-uid", nodeName: "n", nodeUID: "n-uid", credentialId: "JTI=j" },
      {
        "authentication.kubernetes.io/credential-id": ["JTI=j"],
        "authentication.kubernetes.io/node-name": ["n"],
        "authentication.kubernetes.io/node-uid": ["n-uid"],
        "authentication.kubernetes.io/pod-name": ["p"],
        "authentication.kubernetes.io/pod-uid": ["p-uid"],
      },
    ],
  ])("%s", (_name, extras, extra) => {
    const user = toUserInfo({ ...sa, ...extras });
    expect(user).toStrictEqual({
      username: "system:serviceaccount:test:my-sa",
      uid: "sa-uid",
      groups: ["system:serviceaccounts", "system:serviceaccounts:test"],
      extra,
    });
    // Keys come out sorted, as Go's JSON encoding of the map does.
    expect(Object.keys(user.extra)).toEqual(Object.keys(extra).sort());
  });
});

describe("usernames", () => {
  it("makeUsername / makeGroupNames / credentialIdForJti", () => {
    expect(makeUsername("ns", "name")).toBe("system:serviceaccount:ns:name");
    expect(makeGroupNames("ns")).toEqual(["system:serviceaccounts", "system:serviceaccounts:ns"]);
    expect(credentialIdForJti("abc")).toBe("JTI=abc");
    expect(credentialIdForJti("")).toBe("");
    expect(credentialIdForJti(undefined)).toBe("");
  });

  it.each([
    ["system:serviceaccount:ns:name", { namespace: "ns", name: "name" }],
    ["system:serviceaccount:ns:name.with.dots", { namespace: "ns", name: "name.with.dots" }],
    ["system:serviceaccount:ns:", undefined],
    ["system:serviceaccount::name", undefined],
    ["system:serviceaccount:ns:name:extra", undefined],
    ["system:serviceaccount:ns", undefined],
    ["system:serviceaccounts:ns:name", undefined],
    ["system:serviceaccount:Ns:name", undefined],
    ["system:serviceaccount:ns.dot:name", undefined],
    ["system:serviceaccount:ns:Name", undefined],
    [`system:serviceaccount:${"a".repeat(64)}:name`, undefined],
    [`system:serviceaccount:ns:${"a".repeat(254)}`, undefined],
    ["", undefined],
  ])("splitUsername(%j)", (username, want) => {
    expect(parseUsername(username)).toEqual(want);
    if (want === undefined) {
      expect(() => splitUsername(username)).toThrow(
        new CryptoError("ERR_USERNAME", "Username must be in the form system:serviceaccount:namespace:name"),
      );
    } else {
      expect(splitUsername(username)).toEqual(want);
    }
  });

  it.each([
    ["ns", "name", "system:serviceaccount:ns:name", true],
    ["ns", "name", "system:serviceaccount:ns:nam", false],
    ["ns", "name", "system:serviceaccount:ns:namee", false],
    ["ns", "name", "system:serviceaccount:nsx:name", false],
    ["ns", "name", "system:serviceaccount:n:sname", false],
    ["ns", "name", "system:serviceaccount:ns-name", false],
    ["ns", "name", "system:serviceaccounts:ns:name", false],
  ])("matchesUsername(%s, %s, %s) = %s", (ns, name, username, want) => {
    expect(matchesUsername(ns, name, username)).toBe(want);
  });
});
