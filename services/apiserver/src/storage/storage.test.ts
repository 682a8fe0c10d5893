// The Storage contract, run against both backends.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openFileStore } from "./file-store.js";
import { createMemoryStore } from "./memory-store.js";
import type { MvccIndexOptions } from "./mvcc-index.js";
import { type Storage, StorageError, type StorageEvent } from "./storage.js";

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (s: string) => enc.encode(s);
const text = (v: Uint8Array) => dec.decode(v);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const factories: [string, (o?: MvccIndexOptions) => Promise<Storage>][] = [
  ["memory", async (o) => createMemoryStore(o)],
  [
    "file",
    async (o) => {
      const dir = await mkdtemp(join(tmpdir(), "tokenplane-storage-"));
      const store = await openFileStore({ dir, ...o });
      cleanups.push(async () => {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      });
      return store;
    },
  ],
];

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<StorageError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(StorageError);
    return err as StorageError;
  }
  throw new Error("expected a rejection");
}

/** A watch as an iterator, aborted by the test's cleanup. */
function watcher(store: Storage, prefix: string, after: number) {
  const ac = new AbortController();
  cleanups.push(async () => ac.abort());
  const it = store.watch(prefix, after, ac.signal)[Symbol.asyncIterator]();
  return { it, ac };
}

async function take(it: AsyncIterator<StorageEvent>, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await it.next();
    if (r.done === true) throw new Error("watch ended");
    const e = r.value;
    out.push(`${e.revision} ${e.type} ${e.kv.key}=${text(e.kv.value)}`);
  }
  return out;
}

describe.each(factories)("%s store", (_name, open) => {
  it("creates, reads, updates and deletes with etcd's revisions", async () => {
    const s = await open();
    expect(s.currentRevision()).toBe(0);
    expect(await s.create("/a", b("1"))).toEqual({
      key: "/a",
      value: b("1"),
      createRevision: 1,
      modRevision: 1,
    });
    expect(await s.create("/b", b("x"))).toEqual({
      key: "/b",
      value: b("x"),
      createRevision: 2,
      modRevision: 2,
    });
    expect(await s.update("/a", b("2"), 1)).toEqual({
      key: "/a",
      value: b("2"),
      createRevision: 1,
      modRevision: 3,
    });
    expect(await s.update("/a", b("3"))).toEqual({
      key: "/a",
      value: b("3"),
      createRevision: 1,
      modRevision: 4,
    });
    expect(await s.get("/a")).toEqual({ key: "/a", value: b("3"), createRevision: 1, modRevision: 4 });
    // A delete resolves with the last value and the delete's revision (Kubernetes' resourceVersion).
    expect(await s.delete("/a", 4)).toEqual({ key: "/a", value: b("3"), createRevision: 1, modRevision: 5 });
    expect(await s.get("/a")).toBeUndefined();
    expect(await s.create("/a", b("again"))).toEqual({
      key: "/a",
      value: b("again"),
      createRevision: 6,
      modRevision: 6,
    });
    expect(s.currentRevision()).toBe(6);
  });

  it("fails with ERR_KEY_EXISTS, ERR_KEY_NOT_FOUND and ERR_CONFLICT without using a revision", async () => {
    const s = await open();
    await s.create("/k", b("v"));
    const exists = await rejection(s.create("/k", b("w")));
    expect([exists.code, exists.message]).toEqual(["ERR_KEY_EXISTS", 'key "/k" already exists']);
    expect(exists.current).toEqual({ key: "/k", value: b("v"), createRevision: 1, modRevision: 1 });
    const missing = await rejection(s.update("/nope", b("v")));
    expect([missing.code, missing.message]).toEqual(["ERR_KEY_NOT_FOUND", 'key "/nope" not found']);
    expect((await rejection(s.delete("/nope"))).code).toBe("ERR_KEY_NOT_FOUND");
    const conflict = await rejection(s.update("/k", b("w"), 7));
    expect([conflict.code, conflict.message]).toEqual([
      "ERR_CONFLICT",
      'key "/k" has modRevision 1, expected 7',
    ]);
    expect(conflict.current).toEqual({ key: "/k", value: b("v"), createRevision: 1, modRevision: 1 });
    expect((await rejection(s.delete("/k", 2))).code).toBe("ERR_CONFLICT");
    expect(s.currentRevision()).toBe(1);
    expect((await s.update("/k", b("w"))).modRevision).toBe(2);
  });

  it("rejects programmer misuse with TypeError", async () => {
    const s = await open();
    await expect(s.create("", b("v"))).rejects.toThrow(TypeError);
    await expect(s.create("/\ud800", b("v"))).rejects.toThrow(TypeError);
    await expect(s.update("/k", b("v"), 1.5)).rejects.toThrow(TypeError);
    expect(s.currentRevision()).toBe(0);
  });

  it("copies values passed in", async () => {
    const s = await open();
    const v = b("abc");
    await s.create("/k", v);
    v[0] = 0x7a;
    expect(text((await s.get("/k"))!.value)).toBe("abc");
  });

  it("shares one strictly increasing revision across keys", async () => {
    const s = await open();
    const revs: number[] = [];
    for (let i = 0; i < 20; i++) revs.push((await s.create(`/r/${i % 3}/${i}`, b(String(i)))).modRevision);
    const concurrent = await Promise.all(Array.from({ length: 20 }, (_, i) => s.create(`/c/${i}`, b("x"))));
    revs.push(...concurrent.map((kv) => kv.modRevision));
    expect(revs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(s.currentRevision()).toBe(40);
  });

  it("ranges over a prefix in key order with limit, startKey and more", async () => {
    const s = await open();
    for (const k of ["/p/c", "/p/a", "/q/a", "/p/b", "/p", "/pa", "/p/d"]) await s.create(k, b(k));
    const keys = (r: { kvs: { key: string }[] }) => r.kvs.map((kv) => kv.key);
    const all = await s.range("/p/");
    expect([keys(all), all.more, all.revision]).toEqual([["/p/a", "/p/b", "/p/c", "/p/d"], false, 7]);
    const page1 = await s.range("/p/", { limit: 2 });
    expect([keys(page1), page1.more]).toEqual([["/p/a", "/p/b"], true]);
    const page2 = await s.range("/p/", { limit: 2, startKey: "/p/c" });
    expect([keys(page2), page2.more]).toEqual([["/p/c", "/p/d"], false]);
    const exact = await s.range("/p/", { limit: 4 });
    expect([keys(exact), exact.more]).toEqual([["/p/a", "/p/b", "/p/c", "/p/d"], false]);
    // A startKey before the prefix starts at the prefix; one past every key gives nothing.
    expect(keys(await s.range("/p/", { startKey: "/a" }))).toEqual(["/p/a", "/p/b", "/p/c", "/p/d"]);
    expect(await s.range("/p/", { startKey: "/p/z" })).toEqual({ kvs: [], revision: 7, more: false });
    expect(keys(await s.range(""))).toEqual(["/p", "/p/a", "/p/b", "/p/c", "/p/d", "/pa", "/q/a"]);
  });

  it("replays a watch from a revision, then follows live changes", async () => {
    const s = await open();
    await s.create("/w/a", b("1"));
    await s.create("/w/b", b("1"));
    await s.update("/w/a", b("2"));
    const { it: w } = watcher(s, "/w/", 1);
    expect(await take(w, 2)).toEqual(["2 put /w/b=1", "3 put /w/a=2"]);
    const next = take(w, 2);
    await s.delete("/w/b");
    await s.create("/w/c", b("3"));
    expect(await next).toEqual(["4 delete /w/b=1", "5 put /w/c=3"]);
  });

  it("gives events their previous value", async () => {
    const s = await open();
    const { it: w } = watcher(s, "", 0);
    await s.create("/k", b("1"));
    await s.update("/k", b("2"));
    await s.delete("/k");
    const events: StorageEvent[] = [];
    for (let i = 0; i < 3; i++) events.push((await w.next()).value as StorageEvent);
    const kv = (value: string, createRevision: number, modRevision: number) => ({
      key: "/k",
      value: b(value),
      createRevision,
      modRevision,
    });
    expect(events).toEqual([
      { type: "put", revision: 1, kv: kv("1", 1, 1) },
      { type: "put", revision: 2, kv: kv("2", 1, 2), prevKv: kv("1", 1, 1) },
      { type: "delete", revision: 3, kv: kv("2", 1, 3), prevKv: kv("2", 1, 2) },
    ]);
  });

  it("keeps the writer's traceparent with each change, and none when the writer gave none", async () => {
    const s = await open();
    const tp = (span: string) => `00-0af7651916cd43dd8448eb211c80319c-${span}-01`;
    await s.create("/t", b("1"), { traceparent: tp("b7ad6b7169203331") });
    await s.update("/t", b("2"), 1, { traceparent: tp("00f067aa0ba902b7") });
    await s.update("/t", b("3"));
    await s.create("/u", b("1"), {});
    await s.delete("/t", undefined, { traceparent: tp("53995c3f42cd8ad8") });
    const { it: w } = watcher(s, "", 0);
    const events: StorageEvent[] = [];
    for (let i = 0; i < 5; i++) events.push((await w.next()).value as StorageEvent);
    expect(events.map((e) => [e.revision, e.type, e.traceparent])).toEqual([
      [1, "put", tp("b7ad6b7169203331")],
      [2, "put", tp("00f067aa0ba902b7")],
      [3, "put", undefined],
      [4, "put", undefined],
      [5, "delete", tp("53995c3f42cd8ad8")],
    ]);
    expect(events.filter((e) => "traceparent" in e).map((e) => e.revision)).toEqual([1, 2, 5]);
    // A write that fails its precondition records nothing.
    await rejection(s.update("/u", b("x"), 99, { traceparent: tp("1111111111111111") }));
    expect(s.currentRevision()).toBe(5);
  });

  it("filters a watch by prefix", async () => {
    const s = await open();
    const { it: w } = watcher(s, "/pods/", 0);
    const got = take(w, 2);
    await s.create("/pods/a", b("1"));
    await s.create("/secrets/a", b("1"));
    await s.create("/podsx", b("1"));
    await s.create("/pods/b", b("1"));
    expect(await got).toEqual(["1 put /pods/a=1", "4 put /pods/b=1"]);
  });

  it("serves many watchers at once", async () => {
    const s = await open();
    const ws = Array.from({ length: 50 }, () => watcher(s, "", 0).it);
    const got = Promise.all(ws.map((w) => take(w, 3)));
    for (const k of ["/a", "/b", "/c"]) await s.create(k, b("v"));
    const expected = ["1 put /a=v", "2 put /b=v", "3 put /c=v"];
    expect(await got).toEqual(Array.from({ length: 50 }, () => expected));
  });

  it("fails a watch from before the kept history with ERR_COMPACTED naming the oldest revision", async () => {
    const s = await open({ historyLimit: 5 });
    for (let i = 1; i <= 12; i++) await s.create(`/k${i}`, b("v"));
    expect(s.oldestRevision()).toBe(7);
    const err = await rejection(watcher(s, "", 6).it.next());
    expect([err.code, err.current]).toEqual(["ERR_COMPACTED", 7]);
    expect(err.message).toBe(
      "watch from revision 6: revision 7 has been compacted; the oldest revision kept is 7",
    );
    expect(await take(watcher(s, "", 7).it, 5)).toEqual([
      "8 put /k8=v",
      "9 put /k9=v",
      "10 put /k10=v",
      "11 put /k11=v",
      "12 put /k12=v",
    ]);
  });

  it("keeps history after retainFrom beyond historyLimit", async () => {
    let retain = 3;
    const s = await open({ historyLimit: 2, retainFrom: () => retain });
    for (let i = 1; i <= 10; i++) await s.create(`/k${i}`, b("v"));
    expect(s.oldestRevision()).toBe(3);
    retain = 9;
    await s.create("/k11", b("v"));
    expect(s.oldestRevision()).toBe(9);
  });

  it("ends the iteration cleanly when the signal aborts", async () => {
    const s = await open();
    await s.create("/a", b("1"));
    const ac = new AbortController();
    const seen: number[] = [];
    const done = (async () => {
      for await (const e of s.watch("", 0, ac.signal)) {
        seen.push(e.revision);
        if (e.revision === 2) ac.abort();
      }
    })();
    await s.create("/b", b("1"));
    await done;
    await s.create("/c", b("1"));
    expect(seen).toEqual([1, 2]);
    // Aborted while waiting for the next change.
    const { it, ac: ac2 } = watcher(s, "", 3);
    const pending = it.next();
    ac2.abort();
    expect(await pending).toEqual({ done: true, value: undefined });
  });

  it("cuts off a watcher that falls too far behind", async () => {
    const s = await open({ watchLagLimit: 3 });
    const { it: w } = watcher(s, "", 0);
    const first = w.next();
    await s.create("/a", b("v"));
    expect((await first).value?.revision).toBe(1);
    for (const k of ["/b", "/c", "/d"]) await s.create(k, b("v"));
    // Three unconsumed revisions are within the limit...
    expect((await w.next()).value?.revision).toBe(2);
    for (const k of ["/e", "/f"]) await s.create(k, b("v"));
    // ...four are not.
    const err = await rejection(w.next());
    expect([err.code, err.current]).toEqual(["ERR_COMPACTED", 0]);
    expect(err.message).toBe(
      "watch fell behind by 4 revisions (limit 3) at revision 2; watch again from there",
    );
    // Replaying old history is not falling behind.
    expect((await take(watcher(s, "", 0).it, 6)).length).toBe(6);
  });

  it("fails everything with ERR_CLOSED after close, and ends watches", async () => {
    const s = await open();
    await s.create("/a", b("1"));
    const { it: w } = watcher(s, "", 1);
    const pending = rejection(w.next());
    await s.close();
    expect((await pending).code).toBe("ERR_CLOSED");
    expect((await rejection(s.get("/a"))).code).toBe("ERR_CLOSED");
    expect((await rejection(s.create("/b", b("1")))).code).toBe("ERR_CLOSED");
    expect(() => s.currentRevision()).toThrow(StorageError);
    await s.close();
  });
});
