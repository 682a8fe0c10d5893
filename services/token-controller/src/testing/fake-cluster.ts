/**
 * An in-memory apiserver for the controllers' unit tests: the {@link ObjectClient} the controllers
 * write through (with Kubernetes' failures: NotFound, AlreadyExists, Conflict on a stale
 * resourceVersion or a failed precondition, NamespaceTerminating) and informers fed by every
 * committed change, in order, asynchronously (as NATS delivers them). Every call of the
 * controllers is recorded in {@link FakeCluster.calls}; `admin` writes without being recorded.
 * Time (creationTimestamp) comes from the given clock.
 */
import { clone, create } from "@bufbuild/protobuf";
import {
  newAlreadyExists,
  newConflict,
  newForbidden,
  newNotFound,
  OptimisticLockErrorMsg,
  type StatusError,
  timeFromMs,
} from "@tokenplane/apimachinery";
import { corev1, metav1 } from "@tokenplane/proto";
import type { Clock, Informer, InformerStats } from "@tokenplane/runtime";
import { NAMESPACE_TERMINATING_CAUSE } from "../client/actions.js";
import {
  type CoreKinds,
  type CoreResource,
  coreResource,
  type ObjectClient,
  type ObjectList,
  type Preconditions,
} from "../client/object-client.js";

/** One call the controllers made. */
export interface Call {
  verb: "get" | "list" | "create" | "update" | "patch" | "delete";
  resource: CoreResource;
  namespace: string;
  name: string;
}

type AnyObject = CoreKinds[CoreResource];
type EventType = "ADDED" | "MODIFIED" | "DELETED";

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;

/** An informer over the fake cluster (the runtime's `Informer` interface). */
export class FakeInformer<T extends AnyObject> implements Informer<T> {
  readonly #cluster: FakeCluster;
  readonly #resource: CoreResource;
  readonly #cache = new Map<string, T>();
  readonly #add: Array<(obj: T) => void | Promise<void>> = [];
  readonly #update: Array<(o: T, n: T) => void | Promise<void>> = [];
  readonly #delete: Array<(obj: T) => void | Promise<void>> = [];
  #started = false;
  #synced = false;
  /** Events are applied one at a time, in commit order. */
  chain: Promise<void> = Promise.resolve();

  constructor(cluster: FakeCluster, resource: CoreResource) {
    this.#cluster = cluster;
    this.#resource = resource;
  }

  async start(): Promise<void> {
    this.#started = true;
    for (const obj of this.#cluster.snapshot(this.#resource)) {
      const m = obj.metadata;
      this.#cache.set(keyOf(m?.namespace ?? "", m?.name ?? ""), obj as T);
      for (const h of this.#add) await h(obj as T);
    }
    this.#synced = true;
  }
  hasSynced = () => this.#synced;
  get = (namespace: string, name: string) => this.#cache.get(keyOf(namespace, name));
  list = (namespace?: string) =>
    [...this.#cache.values()].filter((o) => namespace === undefined || o.metadata?.namespace === namespace);
  onAdd(h: (obj: T) => void | Promise<void>) {
    this.#add.push(h);
  }
  onUpdate(h: (o: T, n: T) => void | Promise<void>) {
    this.#update.push(h);
  }
  onDelete(h: (obj: T) => void | Promise<void>) {
    this.#delete.push(h);
  }
  stats = (): InformerStats => ({
    eventsApplied: 0,
    eventsDuplicate: 0,
    eventsStale: 0,
    relists: 0,
    handlerErrors: 0,
  });
  async stop(): Promise<void> {
    this.#started = false;
    this.#synced = false;
    await this.chain;
  }

  /** A resync: onUpdate(old, old) for every cached object (Kubernetes resync semantics). */
  resync(): Promise<void> {
    this.chain = this.chain.then(async () => {
      for (const obj of this.#cache.values()) for (const h of this.#update) await h(obj, obj);
    });
    return this.chain;
  }

  /** Called by the cluster for every committed change. */
  deliver(type: EventType, obj: T): void {
    if (!this.#started) return;
    this.chain = this.chain.then(async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const m = obj.metadata;
      const key = keyOf(m?.namespace ?? "", m?.name ?? "");
      const old = this.#cache.get(key);
      if (type === "DELETED") {
        this.#cache.delete(key);
        for (const h of this.#delete) await h(obj);
      } else {
        this.#cache.set(key, obj);
        if (old === undefined) for (const h of this.#add) await h(obj);
        else for (const h of this.#update) await h(old, obj);
      }
    });
  }
}

/** The in-memory apiserver. */
export class FakeCluster implements ObjectClient {
  readonly #clock: Clock;
  readonly #store = new Map<CoreResource, Map<string, AnyObject>>();
  readonly #informers: FakeInformer<AnyObject>[] = [];
  #informerResources = new Map<FakeInformer<AnyObject>, CoreResource>();
  #rv = 0;
  #uid = 0;
  #failures: Array<{
    verb: Call["verb"];
    resource: CoreResource;
    error: StatusError | Error;
    times: number;
  }> = [];
  /** Every call made through this client (not through {@link admin}). */
  readonly calls: Call[] = [];
  /** The same cluster, as an administrator whose calls are not recorded. */
  readonly admin: ObjectClient;

  constructor(clock: Clock) {
    this.#clock = clock;
    this.admin = {
      get: (r, ns, n) => this.#get(r, ns, n),
      list: (r, ns) => this.#list(r, ns),
      create: (r, o) => this.#create(r, o),
      update: (r, o) => this.#update(r, o),
      mergePatch: (r, ns, n, p) => this.#patch(r, ns, n, p),
      delete: (r, ns, n, p) => this.#delete(r, ns, n, p),
    };
  }

  /** A new informer of `resource` (handlers before `start`, as the runtime's). */
  informer<R extends CoreResource>(resource: R): FakeInformer<CoreKinds[R]> {
    const inf = new FakeInformer<CoreKinds[R]>(this, resource);
    this.#informers.push(inf as unknown as FakeInformer<AnyObject>);
    this.#informerResources.set(inf as unknown as FakeInformer<AnyObject>, resource);
    return inf;
  }

  /** Makes the next `times` calls of `verb` on `resource` fail with `error`. */
  failNext(verb: Call["verb"], resource: CoreResource, error: StatusError | Error, times = 1): void {
    this.#failures.push({ verb, resource, error, times });
  }

  /** Resolves once every delivered event has been handled. */
  async idle(): Promise<void> {
    for (;;) {
      const chains = this.#informers.map((i) => i.chain);
      await Promise.all(chains);
      if (this.#informers.every((i, n) => i.chain === chains[n])) return;
    }
  }

  /** Current objects of a resource (copies). */
  snapshot(resource: CoreResource): AnyObject[] {
    const info = coreResource(resource);
    return [...(this.#store.get(resource)?.values() ?? [])].map(
      (o) => clone(info.schema, o as never) as AnyObject,
    );
  }

  /** The stored object (a copy), if any. */
  peek<R extends CoreResource>(resource: R, namespace: string, name: string): CoreKinds[R] | undefined {
    const o = this.#store.get(resource)?.get(keyOf(namespace, name));
    return o === undefined ? undefined : (clone(coreResource(resource).schema, o as never) as CoreKinds[R]);
  }

  /** Calls of one verb, as `resource ns/name` strings. */
  callsOf(verb: Call["verb"]): string[] {
    return this.calls.filter((c) => c.verb === verb).map((c) => `${c.resource} ${c.namespace}/${c.name}`);
  }

  #record(verb: Call["verb"], resource: CoreResource, namespace: string, name: string): void {
    this.calls.push({ verb, resource, namespace, name });
    const f = this.#failures.find((x) => x.verb === verb && x.resource === resource);
    if (f !== undefined) {
      f.times--;
      if (f.times <= 0) this.#failures = this.#failures.filter((x) => x !== f);
      throw f.error;
    }
  }

  get<R extends CoreResource>(resource: R, namespace: string, name: string): Promise<CoreKinds[R]> {
    this.#record("get", resource, namespace, name);
    return this.#get(resource, namespace, name);
  }
  list<R extends CoreResource>(resource: R, namespace?: string): Promise<ObjectList<CoreKinds[R]>> {
    this.#record("list", resource, namespace ?? "", "");
    return this.#list(resource, namespace);
  }
  create<R extends CoreResource>(resource: R, object: CoreKinds[R]): Promise<CoreKinds[R]> {
    this.#record("create", resource, object.metadata?.namespace ?? "", object.metadata?.name ?? "");
    return this.#create(resource, object);
  }
  update<R extends CoreResource>(resource: R, object: CoreKinds[R]): Promise<CoreKinds[R]> {
    this.#record("update", resource, object.metadata?.namespace ?? "", object.metadata?.name ?? "");
    return this.#update(resource, object);
  }
  mergePatch<R extends CoreResource>(
    resource: R,
    namespace: string,
    name: string,
    patch: string,
  ): Promise<CoreKinds[R]> {
    this.#record("patch", resource, namespace, name);
    return this.#patch(resource, namespace, name, patch);
  }
  delete(
    resource: CoreResource,
    namespace: string,
    name: string,
    preconditions?: Preconditions,
  ): Promise<void> {
    this.#record("delete", resource, namespace, name);
    return this.#delete(resource, namespace, name, preconditions);
  }

  #table(resource: CoreResource): Map<string, AnyObject> {
    let t = this.#store.get(resource);
    if (t === undefined) {
      t = new Map();
      this.#store.set(resource, t);
    }
    return t;
  }
  #copy<R extends CoreResource>(resource: R, obj: AnyObject): CoreKinds[R] {
    return clone(coreResource(resource).schema, obj as never) as CoreKinds[R];
  }
  #emit(resource: CoreResource, type: EventType, obj: AnyObject): void {
    for (const inf of this.#informers) {
      if (this.#informerResources.get(inf) === resource) inf.deliver(type, this.#copy(resource, obj));
    }
  }
  #notFound(resource: CoreResource, name: string): StatusError {
    return newNotFound({ group: "", resource }, name);
  }

  async #get<R extends CoreResource>(resource: R, namespace: string, name: string): Promise<CoreKinds[R]> {
    const o = this.#table(resource).get(keyOf(namespace, name));
    if (o === undefined) throw this.#notFound(resource, name);
    return this.#copy(resource, o);
  }
  async #list<R extends CoreResource>(resource: R, namespace?: string): Promise<ObjectList<CoreKinds[R]>> {
    const items = this.snapshot(resource).filter(
      (o) => namespace === undefined || namespace === "" || o.metadata?.namespace === namespace,
    ) as CoreKinds[R][];
    return { items, resourceVersion: String(this.#rv) };
  }
  async #create<R extends CoreResource>(resource: R, object: CoreKinds[R]): Promise<CoreKinds[R]> {
    const info = coreResource(resource);
    const obj = this.#copy(resource, object);
    obj.metadata ??= create(metav1.ObjectMetaSchema);
    const m = obj.metadata;
    const namespace = info.namespaced ? m.namespace : "";
    if (info.namespaced) {
      const ns = this.#table("namespaces").get(keyOf("", namespace)) as corev1.Namespace | undefined;
      if (ns === undefined) throw this.#notFound("namespaces", namespace);
      if (ns.status?.phase === "Terminating") {
        const err = newForbidden(
          { group: "", resource },
          m.name,
          `unable to create new content in namespace ${namespace} because it is being terminated`,
        );
        err.status.details = {
          ...err.status.details,
          causes: [
            { reason: NAMESPACE_TERMINATING_CAUSE, message: `namespace ${namespace} is being terminated` },
          ],
        };
        throw err;
      }
    }
    const table = this.#table(resource);
    if (table.has(keyOf(namespace, m.name))) throw newAlreadyExists({ group: "", resource }, m.name);
    m.uid = `uid-${++this.#uid}`;
    m.resourceVersion = String(++this.#rv);
    m.creationTimestamp = timeFromMs(this.#clock.now());
    if (resource === "namespaces") {
      const ns = obj as corev1.Namespace;
      ns.status ??= create(corev1.NamespaceStatusSchema);
      if (ns.status.phase === "") ns.status.phase = "Active";
    }
    table.set(keyOf(namespace, m.name), obj);
    this.#emit(resource, "ADDED", obj);
    return this.#copy(resource, obj);
  }
  async #update<R extends CoreResource>(resource: R, object: CoreKinds[R]): Promise<CoreKinds[R]> {
    const obj = this.#copy(resource, object);
    const m = obj.metadata!;
    const table = this.#table(resource);
    const key = keyOf(coreResource(resource).namespaced ? m.namespace : "", m.name);
    const old = table.get(key);
    if (old === undefined) throw this.#notFound(resource, m.name);
    if (m.resourceVersion !== "" && m.resourceVersion !== old.metadata?.resourceVersion) {
      throw newConflict({ group: "", resource }, m.name, OptimisticLockErrorMsg);
    }
    m.uid = old.metadata?.uid ?? "";
    if (old.metadata?.creationTimestamp) m.creationTimestamp = old.metadata.creationTimestamp;
    m.resourceVersion = String(++this.#rv);
    table.set(key, obj);
    this.#emit(resource, "MODIFIED", obj);
    return this.#copy(resource, obj);
  }
  async #patch<R extends CoreResource>(
    resource: R,
    namespace: string,
    name: string,
    patch: string,
  ): Promise<CoreKinds[R]> {
    const table = this.#table(resource);
    const key = keyOf(namespace, name);
    const old = table.get(key);
    if (old === undefined) throw this.#notFound(resource, name);
    const p = JSON.parse(patch) as {
      metadata?: {
        uid?: string;
        labels?: Record<string, string | null>;
        annotations?: Record<string, string | null>;
      };
    };
    const obj = this.#copy(resource, old);
    const m = obj.metadata!;
    if (p.metadata?.uid !== undefined && p.metadata.uid !== m.uid) {
      throw newConflict({ group: "", resource }, name, "uid mismatch");
    }
    for (const [field, target] of [
      ["labels", m.labels],
      ["annotations", m.annotations],
    ] as const) {
      for (const [k, v] of Object.entries(p.metadata?.[field] ?? {})) {
        if (v === null) delete target[k];
        else target[k] = v;
      }
    }
    m.resourceVersion = String(++this.#rv);
    table.set(key, obj);
    this.#emit(resource, "MODIFIED", obj);
    return this.#copy(resource, obj);
  }
  async #delete(resource: CoreResource, namespace: string, name: string, pre?: Preconditions): Promise<void> {
    const table = this.#table(resource);
    const key = keyOf(namespace, name);
    const old = table.get(key);
    if (old === undefined) throw this.#notFound(resource, name);
    const m = old.metadata!;
    if (pre?.uid !== undefined && pre.uid !== m.uid) {
      throw newConflict(
        { group: "", resource },
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${m.uid}`,
      );
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== m.resourceVersion) {
      throw newConflict(
        { group: "", resource },
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${m.resourceVersion}`,
      );
    }
    table.delete(key);
    const last = this.#copy(resource, old);
    last.metadata!.resourceVersion = String(++this.#rv);
    this.#emit(resource, "DELETED", last);
  }
}

/** Polls `condition` between event-loop turns (and `clock` steps, when given) until it holds. */
export async function eventually(
  condition: () => boolean,
  options: {
    turns?: number;
    advance?: { clock: { advance(ms: number): Promise<void> }; stepMs: number };
  } = {},
): Promise<void> {
  const turns = options.turns ?? 200;
  for (let i = 0; i < turns; i++) {
    if (condition()) return;
    if (options.advance) await options.advance.clock.advance(options.advance.stepMs);
    else await new Promise<void>((resolve) => setImmediate(resolve));
  }
  if (!condition()) throw new Error(`condition not met after ${turns} turns`);
}
