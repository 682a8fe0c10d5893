import { describe, expect, it } from "vitest";
import {
  generatedNameAlphabet,
  generateName,
  isDNS1123Label,
  isDNS1123Subdomain,
  isPathSegmentName,
  isQualifiedName,
  isValidLabelValue,
  maskTrailingDash,
} from "./names.js";

const subdomainMsg =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const labelMsg =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

describe("DNS-1123 names (reference §8.1)", () => {
  it.each([
    ["default", []],
    ["a.b-c", []],
    ["Bad", [subdomainMsg]],
    ["-x", [subdomainMsg]],
    ["x".repeat(254), ["must be no more than 253 characters"]],
    [`${"x".repeat(253)}_`, ["must be no more than 253 characters", subdomainMsg]],
  ])("subdomain %j", (v, want) => {
    expect(isDNS1123Subdomain(v)).toEqual(want);
  });

  it.each([
    ["kube-system", []],
    ["a.b", ["must not contain dots"]],
    ["A", [labelMsg]],
    ["x".repeat(64), ["must be no more than 63 characters"]],
  ])("label %j", (v, want) => {
    expect(isDNS1123Label(v)).toEqual(want);
  });
});

describe("qualified names and label values", () => {
  it("accepts prefixed keys", () => {
    expect(isQualifiedName("kubernetes.io/legacy-token-last-used")).toEqual([]);
    expect(isQualifiedName("app")).toEqual([]);
  });
  it("rejects empty prefix and empty name", () => {
    expect(isQualifiedName("/a")).toEqual(["prefix part must be non-empty"]);
    expect(isQualifiedName("a/")[0]).toBe("name part must be non-empty");
  });
  it("label values", () => {
    expect(isValidLabelValue("")).toEqual([]);
    expect(isValidLabelValue("2024-01-01")).toEqual([]);
    expect(isValidLabelValue("a b")).toHaveLength(1);
  });
});

describe("path segment names (RBAC)", () => {
  it.each([
    ["system:service-account-issuer-discovery", []],
    [".", ["may not be '.'"]],
    ["..", ["may not be '..'"]],
    ["a/b%c", ["may not contain '/'", "may not contain '%'"]],
  ])("%j", (v, want) => expect(isPathSegmentName(v)).toEqual(want));
});

describe("generateName", () => {
  it("appends five characters from Kubernetes' alphabet", () => {
    const name = generateName("kube-api-access-");
    expect(name).toMatch(new RegExp(`^kube-api-access-[${generatedNameAlphabet}]{5}$`));
  });
  it("is deterministic for a fixed random source", () => {
    expect(generateName("p-", () => 0)).toBe("p-bbbbb");
  });
  it("masks a trailing dash for validation", () => {
    expect(maskTrailingDash("my-")).toBe("ma");
    expect(maskTrailingDash("abc")).toBe("abc");
  });
});
