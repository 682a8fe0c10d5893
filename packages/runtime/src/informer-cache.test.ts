import { describe, expect, it } from "vitest";
import { type CacheChange, type CacheItem, InformerCache } from "./informer-cache.js";

const item = (name: string, rv: number, namespace = "ns"): CacheItem<string> => ({
  namespace,
  name,
  rv: BigInt(rv),
  obj: `${name}@${rv}`,
});
const show = (c: CacheChange<string>) =>
  c.kind === "update" ? `update ${c.oldObj}→${c.newObj}` : `${c.kind} ${c.obj}`;

/** A cache filled by a list of a@5 and b@6 taken at rv 10. */
function listed() {
  const cache = new InformerCache<string>({ namespaced: true });
  cache.reconcile([item("a", 5), item("b", 6)], 10n, false);
  return cache;
}

describe("InformerCache.applyEvent", () => {
  it.each<[string, "ADDED" | "MODIFIED" | "DELETED", CacheItem<string>, string]>([
    ["newer MODIFIED of a cached object", "MODIFIED", item("a", 11), "applied: update a@5→a@11"],
    ["newer DELETED of a cached object", "DELETED", item("a", 11), "applied: delete a@11"],
    ["same rv as cached (redelivery)", "MODIFIED", item("a", 5), "duplicate"],
    ["older than cached", "MODIFIED", item("a", 4), "stale"],
    ["ADDED of an unknown object after the list", "ADDED", item("c", 11), "applied: add c@11"],
    ["ADDED of an unknown object before the list (deleted since)", "ADDED", item("c", 9), "stale"],
    ["MODIFIED of an unknown object at the list's rv", "MODIFIED", item("c", 10), "stale"],
    [
      "DELETED of an unknown object before the list (deleted while away)",
      "DELETED",
      item("c", 9),
      "applied: delete c@9",
    ],
    ["another namespace is another key", "ADDED", item("a", 12, "other"), "applied: add a@12"],
  ])("%s", (_name, type, ev, want) => {
    const cache = listed();
    const out = cache.applyEvent(type, ev);
    expect(out.result === "applied" ? `applied: ${show(out.change)}` : out.result).toBe(want);
  });

  it("remembers deletions: late events for a deleted object are dropped, a re-creation applies", () => {
    const cache = listed();
    expect(cache.applyEvent("DELETED", item("a", 12)).result).toBe("applied");
    expect(cache.applyEvent("DELETED", item("a", 12)).result).toBe("duplicate");
    expect(cache.applyEvent("MODIFIED", item("a", 11)).result).toBe("stale");
    expect(cache.applyEvent("DELETED", item("a", 9)).result).toBe("stale");
    expect(cache.get("ns", "a")).toBeUndefined();
    const again = cache.applyEvent("ADDED", item("a", 13));
    expect(again.result === "applied" && show(again.change)).toBe("add a@13");
    expect(cache.get("ns", "a")).toBe("a@13");
  });

  it("forgets the oldest tombstones past the limit", () => {
    const cache = new InformerCache<string>({ namespaced: false, tombstoneLimit: 2 });
    cache.reconcile([item("a", 1, ""), item("b", 2, ""), item("c", 3, "")], 3n, false);
    for (const [name, rv] of [
      ["a", 4],
      ["b", 5],
      ["c", 6],
    ] as const) {
      expect(cache.applyEvent("DELETED", item(name, rv, "")).result).toBe("applied");
    }
    // a's tombstone is gone: its late DELETED is news again (at-least-once past the bound).
    expect(cache.applyEvent("DELETED", item("a", 4, "")).result).toBe("applied");
    expect(cache.applyEvent("DELETED", item("c", 6, "")).result).toBe("duplicate");
  });

  it("moves the horizon with the list and with events", () => {
    const cache = listed();
    expect(cache.horizon).toBe(10n);
    cache.applyEvent("ADDED", item("c", 15));
    expect(cache.horizon).toBe(15n);
    expect(cache.applyEvent("ADDED", item("d", 14)).result).toBe("stale");
  });
});

describe("InformerCache.reconcile", () => {
  it("adds, updates and deletes to match the list; unchanged objects only on resync", () => {
    const cache = listed();
    cache.applyEvent("ADDED", item("c", 11));
    const changes = cache.reconcile([item("a", 5), item("b", 12), item("d", 13)], 14n, false);
    expect(changes.map(show)).toEqual(["update b@6→b@12", "add d@13", "delete c@11"]);
    expect(cache.list().sort()).toEqual(["a@5", "b@12", "d@13"]);
    // The deletion is tombstoned at the list's rv.
    expect(cache.applyEvent("DELETED", item("c", 14)).result).toBe("duplicate");

    const resync = cache.reconcile([item("a", 5), item("b", 12), item("d", 13)], 14n, true);
    expect(resync.map(show)).toEqual(["update a@5→a@5", "update b@12→b@12", "update d@13→d@13"]);
  });

  it("keeps objects newer than the list and skips listed objects older than a deletion", () => {
    const cache = listed();
    cache.applyEvent("ADDED", item("late", 20));
    cache.applyEvent("DELETED", item("b", 21));
    const changes = cache.reconcile([item("a", 5), item("b", 6)], 19n, false);
    expect(changes).toEqual([]);
    expect(cache.list().sort()).toEqual(["a@5", "late@20"]);
  });

  it("lists by namespace and keys cluster-scoped objects by name", () => {
    const ns = new InformerCache<string>({ namespaced: true });
    ns.reconcile([item("a", 1, "x"), item("a", 2, "y")], 2n, false);
    expect(ns.list("x")).toEqual(["a@1"]);
    expect(ns.get("y", "a")).toBe("a@2");
    expect(ns.key("y", "a")).toBe("y/a");
    const cluster = new InformerCache<string>({ namespaced: false });
    expect(cluster.key("", "node-1")).toBe("node-1");
    expect(cluster.size).toBe(0);
  });
});
