// Watch: replay from a revision, synthetic ADDED, selector transitions, 410, bookmarks, abort.
import { parseLabelSelector } from "@tokenplane/apimachinery";
import { describe, expect, it } from "vitest";
import type { WatchEvent } from "./registry.js";
import {
  SA,
  serviceAccount,
  statusOf,
  summary,
  take,
  testRegistry,
  withNamespaces,
} from "./test-registry.js";

const objectOf = (e: WatchEvent) => {
  if (!("object" in e)) throw new Error(`no object in a ${e.type} event`);
  return e.object;
};
const sel = (s: string) => {
  const r = parseLabelSelector(s);
  if ("error" in r) throw new Error(r.error);
  return r.value;
};

describe("watch", () => {
  it("replays ADDED, MODIFIED, DELETED after a revision", async () => {
    const t = testRegistry();
    await withNamespaces(t, "team");
    const from = t.storage.currentRevision();
    const created = await t.registry.create(t.ctx(), SA, "team", serviceAccount("sa"));
    const updated = await t.registry.update(
      t.ctx(),
      SA,
      "team",
      "sa",
      serviceAccount("sa", { labels: { a: "b" } }),
    );
    const deleted = await t.registry.delete(t.ctx(), SA, "team", "sa");
    const ac = new AbortController();
    const events = await take(
      t.registry.watch(SA, "team", { resourceVersion: String(from), signal: ac.signal }),
      3,
    );
    ac.abort();
    expect(summary(events)).toEqual([
      `ADDED sa ${created.metadata!.resourceVersion}`,
      `MODIFIED sa ${updated.metadata!.resourceVersion}`,
      `DELETED sa ${deleted.object.metadata!.resourceVersion}`,
    ]);
    // DELETED carries the last state.
    expect(objectOf(events[2]!).metadata!.labels).toEqual({
      a: "b",
    });
  });
  it.each(["", "0"])("starts with the current objects for resourceVersion %j, then goes live", async (rv) => {
    const t = testRegistry();
    await withNamespaces(t, "team", "other");
    const a = await t.registry.create(t.ctx(), SA, "team", serviceAccount("a"));
    await t.registry.create(t.ctx(), SA, "other", serviceAccount("elsewhere"));
    const ac = new AbortController();
    const it = t.registry
      .watch(SA, "team", { resourceVersion: rv, signal: ac.signal })
      [Symbol.asyncIterator]();
    const first = await it.next();
    const live = t.registry.create(t.ctx(), SA, "team", serviceAccount("live"));
    const second = await it.next();
    const liveObj = await live;
    ac.abort();
    expect(summary([first.value, second.value])).toEqual([
      `ADDED a ${a.metadata!.resourceVersion}`,
      `ADDED live ${liveObj.metadata!.resourceVersion}`,
    ]);
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });
  it("turns moves across the selector into ADDED and DELETED", async () => {
    const t = testRegistry();
    await withNamespaces(t, "team");
    const from = t.storage.currentRevision();
    await t.registry.create(t.ctx(), SA, "team", serviceAccount("b", { labels: { app: "y" } }));
    const inSel = await t.registry.update(
      t.ctx(),
      SA,
      "team",
      "b",
      serviceAccount("b", { labels: { app: "x" } }),
    );
    const modified = await t.registry.update(
      t.ctx(),
      SA,
      "team",
      "b",
      serviceAccount("b", { labels: { app: "x", v: "2" } }),
    );
    const out = await t.registry.update(
      t.ctx(),
      SA,
      "team",
      "b",
      serviceAccount("b", { labels: { app: "z" } }),
    );
    await t.registry.delete(t.ctx(), SA, "team", "b");
    await t.registry.create(t.ctx(), SA, "team", serviceAccount("c", { labels: { app: "x" } }));
    const ac = new AbortController();
    const events = await take(
      t.registry.watch(SA, "team", {
        resourceVersion: String(from),
        labelSelector: sel("app=x"),
        signal: ac.signal,
      }),
      4,
    );
    ac.abort();
    expect(summary(events).slice(0, 3)).toEqual([
      `ADDED b ${inSel.metadata!.resourceVersion}`,
      `MODIFIED b ${modified.metadata!.resourceVersion}`,
      `DELETED b ${out.metadata!.resourceVersion}`,
    ]);
    // Leaving the selection shows the last state that matched.
    expect(objectOf(events[2]!).metadata!.labels).toEqual({
      app: "x",
      v: "2",
    });
    expect(summary(events)[3]).toMatch(/^ADDED c /);
  });
  it("ends with 410 Expired for history no longer kept", async () => {
    const t = testRegistry({}, { historyLimit: 3 });
    await withNamespaces(t, "team");
    for (let i = 0; i < 6; i++) await t.registry.create(t.ctx(), SA, "team", serviceAccount(`s${i}`));
    const ac = new AbortController();
    const events = await take(t.registry.watch(SA, "team", { resourceVersion: "1", signal: ac.signal }), 1);
    ac.abort();
    expect(events[0]).toMatchObject({
      type: "ERROR",
      status: {
        code: 410,
        reason: "Expired",
        message: `too old resource version: 1 (${t.storage.oldestRevision()})`,
      },
    });
  });
  it("sends bookmarks with the last revision", async () => {
    const t = testRegistry();
    await withNamespaces(t, "team");
    const rv = String(t.storage.currentRevision());
    const ac = new AbortController();
    const events = await take(
      t.registry.watch(SA, "team", {
        resourceVersion: rv,
        allowBookmarks: true,
        bookmarkIntervalMs: 10,
        signal: ac.signal,
      }),
      2,
    );
    ac.abort();
    expect(summary(events)).toEqual([`BOOKMARK ${rv}`, `BOOKMARK ${rv}`]);
  });
  it("ends cleanly when aborted", async () => {
    const t = testRegistry();
    await withNamespaces(t, "team");
    const ac = new AbortController();
    const seen: WatchEvent[] = [];
    const done = (async () => {
      for await (const e of t.registry.watch(SA, "team", { resourceVersion: "", signal: ac.signal }))
        seen.push(e);
    })();
    await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    await done;
    expect(seen).toEqual([]);
  });
  it("rejects bad parameters before streaming", async () => {
    const t = testRegistry();
    const ac = new AbortController();
    expect(
      (
        await statusOf(
          (async () => t.registry.watch(SA, "team", { resourceVersion: "abc", signal: ac.signal }))(),
        )
      ).message,
    ).toBe('resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax');
  });
});
