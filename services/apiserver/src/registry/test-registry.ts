/**
 * A registry over a fresh memory store with a fake clock, for the registry's tests. Not used by
 * production code.
 */
import { type ResourceInfo, resourceFor, StatusError, type StoredObject } from "@tokenplane/apimachinery";
import { corev1, rbacv1 } from "@tokenplane/proto";
import { createLogger, FakeClock } from "@tokenplane/runtime";
import { type RequestContext, systemContext } from "../request/context.js";
import { createMemoryStore, type MemoryStoreOptions } from "../storage/memory-store.js";
import type { Storage } from "../storage/storage.js";
import type { Registry, WatchEvent } from "./registry.js";
import { createRegistry, type RegistryOptions } from "./store.js";
import { objectFrom } from "./test-objects.js";

/** 2024-01-01T00:00:00Z, the fake clock's start. */
export const T0 = Date.UTC(2024, 0, 1);

export const NS = resourceFor("", "namespaces")!;
export const SA = resourceFor("", "serviceaccounts")!;
export const SECRETS = resourceFor("", "secrets")!;
export const CONFIGMAPS = resourceFor("", "configmaps")!;
export const PODS = resourceFor("", "pods")!;
export const NODES = resourceFor("", "nodes")!;
export const ROLES = resourceFor("rbac.authorization.k8s.io", "roles")!;
export const ROLEBINDINGS = resourceFor("rbac.authorization.k8s.io", "rolebindings")!;

export interface TestRegistry {
  storage: Storage;
  clock: FakeClock;
  registry: Registry;
  ctx(): RequestContext;
}

/** A registry on an empty memory store at {@link T0}. */
export function testRegistry(
  options: Partial<Omit<RegistryOptions, "storage" | "clock" | "log">> = {},
  storageOptions: MemoryStoreOptions = {},
): TestRegistry {
  const storage = createMemoryStore(storageOptions);
  const clock = new FakeClock(T0);
  const registry = createRegistry({
    storage,
    clock,
    log: createLogger({ service: "test", level: "silent" }),
    ...options,
  });
  return { storage, clock, registry, ctx: systemContext };
}

export const namespace = (name: string) => objectFrom(corev1.NamespaceSchema, { metadata: { name } });
export const serviceAccount = (
  name: string,
  meta: Record<string, unknown> = {},
  rest: Record<string, unknown> = {},
) => objectFrom(corev1.ServiceAccountSchema, { metadata: { name, ...meta }, ...rest } as never);
export const pod = (name: string, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) =>
  objectFrom(corev1.PodSchema, {
    metadata: { name, ...meta },
    spec: { containers: [{ name: "c", image: "busybox:1.36" }], ...spec },
  } as never);
export const role = (name: string) =>
  objectFrom(rbacv1.RoleSchema, {
    metadata: { name },
    rules: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }],
  });

/** Creates namespaces as the bootstrap would. */
export async function withNamespaces(t: TestRegistry, ...names: string[]): Promise<void> {
  for (const n of names) await t.registry.create(t.ctx(), NS, "", namespace(n));
}

/** The StatusError a promise rejects with (fails the test when it resolves). */
export async function statusOf(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error("expected a StatusError, the call succeeded");
}

/** The first `n` events of a watch (then stops it). Fails after `timeoutMs`. */
export async function take(
  events: AsyncIterable<WatchEvent>,
  n: number,
  timeoutMs = 2000,
): Promise<WatchEvent[]> {
  const out: WatchEvent[] = [];
  const timeout = new Promise<never>((_, reject) => {
    setTimeout(() => reject(new Error(`timed out after ${out.length} of ${n} events`)), timeoutMs).unref();
  });
  const collect = (async () => {
    for await (const e of events) {
      out.push(e);
      if (out.length === n) break;
    }
    return out;
  })();
  return Promise.race([collect, timeout]);
}

/** A compact view of events: type, name, resourceVersion. */
export function summary(events: readonly WatchEvent[]): string[] {
  return events.map((e) => {
    if (e.type === "BOOKMARK") return `BOOKMARK ${e.resourceVersion}`;
    if (e.type === "ERROR") return `ERROR ${e.status.code} ${e.status.message}`;
    return `${e.type} ${objectName(e.object)} ${e.object.metadata?.resourceVersion}`;
  });
}

function objectName(o: StoredObject): string {
  return o.metadata?.name ?? "";
}

export type { ResourceInfo };
