import { describe, expect, it } from "vitest";
import { labelSelectorString, matchesLabels, parseLabelSelector } from "./label-selector.js";

function sel(s: string) {
  const r = parseLabelSelector(s);
  if ("error" in r) throw new Error(r.error);
  return r.value;
}

describe("label selectors", () => {
  it.each([
    ["", { a: "1" }, true],
    ["a=1", { a: "1" }, true],
    ["a==1", { a: "2" }, false],
    ["a!=1", {}, true],
    ["a!=1", { a: "1" }, false],
    ["a in (1,2)", { a: "2" }, true],
    ["a notin (1,2)", { a: "3" }, true],
    ["a notin (1,2)", { a: "1" }, false],
    ["a", { a: "" }, true],
    ["!a", { a: "" }, false],
    ["a,b=x", { a: "1", b: "x" }, true],
    ["a>5", { a: "6" }, true],
    ["a<5", { a: "6" }, false],
    ["kubernetes.io/legacy-token-last-used", { "kubernetes.io/legacy-token-last-used": "2024-01-01" }, true],
  ])("%j on %j → %s", (s, labels, want) => {
    expect(matchesLabels(sel(s), labels)).toBe(want);
  });

  it.each(["a=(", "in (x)", "a in x", "a=b c", "a>x"])("rejects %j", (s) => {
    const r = parseLabelSelector(s);
    expect("error" in r && r.error.startsWith("unable to parse requirement")).toBe(true);
  });

  it("renders back", () => {
    expect(labelSelectorString(sel("a=1, b in (x,y),!c"))).toBe("a=1,b in (x,y),!c");
  });
});
