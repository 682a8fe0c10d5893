// List: selectors, cluster-wide lists, paging with continue tokens.
import {
  type FieldSelector,
  type LabelSelector,
  parseFieldSelector,
  parseLabelSelector,
} from "@tokenplane/apimachinery";
import { describe, expect, it } from "vitest";
import type { ListResult } from "./registry.js";
import { PODS, pod, SA, serviceAccount, statusOf, testRegistry, withNamespaces } from "./test-registry.js";

const labels = (s: string): LabelSelector => {
  const r = parseLabelSelector(s);
  if ("error" in r) throw new Error(r.error);
  return r.value;
};
const fields = (s: string): FieldSelector => {
  const r = parseFieldSelector(s);
  if ("error" in r) throw new Error(r.error);
  return r.value;
};
const names = (r: ListResult) => r.items.map((o) => `${o.metadata!.namespace}/${o.metadata!.name}`);

async function populated() {
  const t = testRegistry();
  await withNamespaces(t, "a", "ab", "b");
  for (const [ns, n, app] of [
    ["a", "one", "x"],
    ["a", "two", "y"],
    ["ab", "three", "x"],
    ["b", "four", "x"],
    ["b", "five", "y"],
  ] as const) {
    await t.registry.create(t.ctx(), SA, ns, serviceAccount(n, { labels: { app } }));
  }
  return t;
}

describe("list", () => {
  it("lists one namespace (not its prefix-sharing neighbour) or all", async () => {
    const t = await populated();
    expect(names(await t.registry.list(SA, "a"))).toEqual(["a/one", "a/two"]);
    expect(names(await t.registry.list(SA, ""))).toEqual(["a/one", "a/two", "ab/three", "b/five", "b/four"]);
  });
  it("reports the store revision", async () => {
    const t = await populated();
    expect((await t.registry.list(SA, "a")).resourceVersion).toBe(String(t.storage.currentRevision()));
  });
  it("filters by labels and fields", async () => {
    const t = await populated();
    expect(names(await t.registry.list(SA, "", { labelSelector: labels("app=x") }))).toEqual([
      "a/one",
      "ab/three",
      "b/four",
    ]);
    expect(names(await t.registry.list(SA, "", { fieldSelector: fields("metadata.namespace=b") }))).toEqual([
      "b/five",
      "b/four",
    ]);
    expect(
      names(
        await t.registry.list(SA, "", {
          fieldSelector: fields("metadata.name!=one"),
          labelSelector: labels("app in (x)"),
        }),
      ),
    ).toEqual(["ab/three", "b/four"]);
  });
  it("selects pods by their selectable fields", async () => {
    const t = testRegistry();
    await withNamespaces(t, "team");
    await t.registry.create(t.ctx(), PODS, "team", pod("on-n1", { nodeName: "n1" }));
    await t.registry.create(t.ctx(), PODS, "team", pod("unscheduled"));
    expect(names(await t.registry.list(PODS, "team", { fieldSelector: fields("spec.nodeName=n1") }))).toEqual(
      ["team/on-n1"],
    );
    expect(names(await t.registry.list(PODS, "team", { fieldSelector: fields("spec.nodeName=") }))).toEqual([
      "team/unscheduled",
    ]);
  });
  it("400 for an unsupported field label", async () => {
    const t = await populated();
    expect(
      (await statusOf(t.registry.list(SA, "a", { fieldSelector: fields("spec.foo=bar") }))).status,
    ).toMatchObject({
      code: 400,
      reason: "BadRequest",
      message: "field label not supported: spec.foo",
    });
  });
  it("504 for a resourceVersion the store has not reached", async () => {
    const t = await populated();
    const next = t.storage.currentRevision() + 5;
    expect(
      (await statusOf(t.registry.list(SA, "a", { resourceVersion: String(next) }))).status,
    ).toMatchObject({
      code: 504,
      message: `Too large resource version: ${next}, current: ${t.storage.currentRevision()}`,
    });
  });
});

describe("paging", () => {
  it("pages with continue tokens and one resourceVersion", async () => {
    const t = await populated();
    const first = await t.registry.list(SA, "", { limit: 2 });
    expect(names(first)).toEqual(["a/one", "a/two"]);
    expect(first.continue).toBeDefined();
    // A write between pages does not change the list's resourceVersion.
    await t.registry.create(t.ctx(), SA, "b", serviceAccount("zzz"));
    const second = await t.registry.list(SA, "", { limit: 2, continue: first.continue! });
    expect(names(second)).toEqual(["ab/three", "b/five"]);
    const third = await t.registry.list(SA, "", { limit: 2, continue: second.continue! });
    expect(names(third)).toEqual(["b/four", "b/zzz"]);
    expect(third.continue).toBeUndefined();
    expect([second.resourceVersion, third.resourceVersion]).toEqual([
      first.resourceVersion,
      first.resourceVersion,
    ]);
  });
  it("fills pages through selectors", async () => {
    const t = await populated();
    const first = await t.registry.list(SA, "", { limit: 2, labelSelector: labels("app=x") });
    expect(names(first)).toEqual(["a/one", "ab/three"]);
    const second = await t.registry.list(SA, "", {
      limit: 2,
      labelSelector: labels("app=x"),
      continue: first.continue!,
    });
    expect([names(second), second.continue]).toEqual([["b/four"], undefined]);
  });
  it("rejects a bad token", async () => {
    const t = await populated();
    expect((await statusOf(t.registry.list(SA, "", { limit: 2, continue: "%%%" }))).message).toBe(
      "invalid continue token: continue key is not valid: illegal base64 data",
    );
  });
  it("410 when the first page is older than the kept history", async () => {
    const t = testRegistry({}, { historyLimit: 2 });
    await withNamespaces(t, "a");
    for (const n of ["p", "q", "r"]) await t.registry.create(t.ctx(), SA, "a", serviceAccount(n));
    const first = await t.registry.list(SA, "a", { limit: 1 });
    for (const n of ["s", "t", "u"]) await t.registry.create(t.ctx(), SA, "a", serviceAccount(n));
    const err = await statusOf(t.registry.list(SA, "a", { limit: 1, continue: first.continue! }));
    expect([err.code, err.reason]).toEqual([410, "Expired"]);
    expect(err.message).toMatch(
      /^The provided continue parameter is too old to display a consistent list result\./,
    );
  });
});
