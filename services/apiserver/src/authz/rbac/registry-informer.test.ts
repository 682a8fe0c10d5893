import { create } from "@bufbuild/protobuf";
import { newResourceExpired, resourceFor, type StoredObject } from "@tokenplane/apimachinery";
import { rbacv1 } from "@tokenplane/proto";
import { describe, expect, it, vi } from "vitest";
import type { ListResult, WatchEvent } from "../../registry/registry.js";
import { silentLog } from "./rbac-test-env.js";
import { runInformer } from "./registry-informer.js";

const CLUSTERROLES = resourceFor("rbac.authorization.k8s.io", "clusterroles")!;
const role = (name: string, rv: string) =>
  create(rbacv1.ClusterRoleSchema, { metadata: { name, resourceVersion: rv } });

describe("runInformer", () => {
  it("lists, follows the watch, relists after a watch error, retries a failed list", async () => {
    const lists: (ListResult | Error)[] = [
      new Error("storage unavailable"),
      { items: [role("a", "1")], resourceVersion: "1" },
      { items: [role("b", "7")], resourceVersion: "7" },
    ];
    const watches: WatchEvent[][] = [
      [
        { type: "ADDED", object: role("c", "2") },
        { type: "BOOKMARK", resourceVersion: "3" },
        { type: "DELETED", object: role("a", "4") },
        { type: "ERROR", status: newResourceExpired("too old resource version: 1 (5)").status },
      ],
      [],
    ];
    const watchedFrom: string[] = [];
    const calls: string[] = [];
    const registry = {
      async list() {
        const next = lists.shift();
        if (!next) return { items: [], resourceVersion: "9" };
        if (next instanceof Error) throw next;
        return next;
      },
      async *watch(_info: unknown, _ns: string, opts: { resourceVersion?: string; signal: AbortSignal }) {
        watchedFrom.push(opts.resourceVersion ?? "");
        for (const e of watches.shift() ?? []) yield e;
        await new Promise<void>((resolve) => opts.signal.addEventListener("abort", () => resolve()));
      },
    };
    const names = (items: StoredObject[]) => items.map((o) => o.metadata?.name).join(",");
    const stop = new AbortController();
    const { synced, done } = runInformer({
      registry,
      info: CLUSTERROLES,
      log: silentLog,
      signal: stop.signal,
      retryBaseMs: 1,
      handlers: {
        replace: (items) => calls.push(`replace ${names(items)}`),
        upsert: (o) => calls.push(`upsert ${o.metadata?.name}`),
        remove: (o) => calls.push(`remove ${o.metadata?.name}`),
      },
    });
    await synced;
    await vi.waitFor(() => expect(calls).toHaveLength(4));
    expect(calls).toEqual(["replace a", "upsert c", "remove a", "replace b"]);
    expect(watchedFrom).toEqual(["1", "7"]);
    stop.abort();
    await done;
  });

  it("rejects synced when stopped before the first list", async () => {
    const stop = new AbortController();
    stop.abort();
    const { synced, done } = runInformer({
      registry: {
        list: async () => ({ items: [], resourceVersion: "1" }),
        watch: () => (async function* () {})(),
      },
      info: CLUSTERROLES,
      log: silentLog,
      signal: stop.signal,
      handlers: { replace() {}, upsert() {}, remove() {} },
    });
    await done;
    await expect(synced).rejects.toThrow("informer for clusterroles stopped before its first list");
  });
});
