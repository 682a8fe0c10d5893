/**
 * The object registry over the storage interface: Kubernetes' generic `registry.Store` with the
 * per-kind strategies of `./strategies`. See README.md for the behaviour and where it departs
 * from Kubernetes.
 */
import { randomUUID } from "node:crypto";
import {
  generateName,
  metadataOf,
  newAlreadyExists,
  newBadRequest,
  newInvalid,
  newNotFound,
  type ObjectCase,
  type ResourceInfo,
  StatusError,
  type StoredObject,
  timeFromMs,
} from "@tokenplane/apimachinery";
import type { Logger } from "@tokenplane/runtime";
import type { RequestContext } from "../request/context.js";
import type { Storage } from "../storage/storage.js";
import { copyObject, decodeObject, encodeObject } from "./codec.js";
import { objectKey } from "./keys.js";
import { listObjects } from "./list.js";
import type {
  AdmissionController,
  DeleteOptions,
  DeleteResult,
  ListOptions,
  Registry,
  UpdateOptions,
  WriteOptions,
} from "./registry.js";
import {
  checkNamespaceForCreate,
  groupResource,
  isStorageError,
  mapWriteError,
  nameOf,
  type StoreCore,
  traceWriteOptions,
} from "./store-core.js";
import { runDelete } from "./store-delete.js";
import { runUpdate } from "./store-update.js";
import { defaultStrategies } from "./strategies/index.js";
import type { Strategy } from "./strategy.js";
import { watchObjects } from "./watch.js";

/** Options of {@link createRegistry}. */
export interface RegistryOptions {
  /** Where objects live. */
  storage: Storage;
  /** Time source for creation and deletion timestamps (ms since the epoch). */
  clock: { now(): number };
  /** Mutating + validating admission, called on every CREATE and UPDATE (all kinds and subresources); none by default. */
  admission?: AdmissionController;
  log: Logger;
  /** uid generator; default `crypto.randomUUID` (UUID v4, reference §8.3). */
  newUid?: () => string;
  /** Randomness for generateName suffixes, in [0, 1); default `Math.random`. */
  random?: () => number;
  /** Replaces strategies by kind (tests); default Kubernetes' strategies. */
  strategies?: Partial<Record<ObjectCase, Strategy>>;
}

/** How often a create with generateName retries with a new name (`maxNameGenerationCreateAttempts`). */
const maxNameGenerationAttempts = 8;

/** Creates the registry. */
export function createRegistry(options: RegistryOptions): Registry {
  const strategies = { ...defaultStrategies, ...options.strategies };
  const core: StoreCore = {
    storage: options.storage,
    now: () => options.clock.now(),
    admission: options.admission,
    log: options.log,
    newUid: options.newUid ?? randomUUID,
    random: options.random ?? Math.random,
    strategyFor(info: ResourceInfo): Strategy {
      const s = info.objectCase && strategies[info.objectCase];
      if (!s) throw new TypeError(`${info.resource} is not a stored resource`);
      return s;
    },
  };

  async function create(
    ctx: RequestContext,
    info: ResourceInfo,
    namespace: string,
    input: StoredObject,
    opts: WriteOptions = {},
  ): Promise<StoredObject> {
    const strategy = core.strategyFor(info);
    const dryRun = opts.dryRun === true;
    let obj = copyObject(info, input);
    let meta = metadataOf(obj);
    // EnsureObjectNamespaceMatchesRequestNamespace.
    const expectedNamespace = info.namespaced ? namespace : "";
    if (!meta.namespace) meta.namespace = expectedNamespace;
    else if (!expectedNamespace) meta.namespace = "";
    else if (meta.namespace !== expectedNamespace) {
      throw newBadRequest(
        "the namespace of the provided object does not match the namespace sent on the request",
      );
    }
    if (meta.resourceVersion) {
      throw new StatusError({
        code: 500,
        reason: "InternalError",
        message: "resourceVersion should not be set on objects to be created",
      });
    }
    strategy.default(obj);
    if (info.namespaced && meta.namespace)
      await checkNamespaceForCreate(core, info, meta.namespace, meta.name);
    if (core.admission) {
      obj = await core.admission.admit({
        operation: "CREATE",
        info,
        subresource: "",
        namespace: meta.namespace,
        name: meta.name,
        object: obj,
        user: ctx.user,
        dryRun,
      });
      meta = metadataOf(obj);
    }
    // FillObjectMetaSystemFields.
    meta.uid = core.newUid();
    meta.creationTimestamp = timeFromMs(core.now());

    const generated = !meta.name && !!meta.generateName;
    for (let attempt = 1; ; attempt++) {
      const candidate = copyObject(info, obj);
      const m = metadataOf(candidate);
      if (generated) m.name = generateName(m.generateName, core.random);
      strategy.default(candidate);
      // rest.BeforeCreate: no deletion state on a new object, then the kind's rules.
      delete (m as { deletionTimestamp?: unknown }).deletionTimestamp;
      delete (m as { deletionGracePeriodSeconds?: unknown }).deletionGracePeriodSeconds;
      strategy.prepareForCreate(candidate);
      const errs = strategy.validate(candidate);
      if (errs.length) throw newInvalid({ group: info.group, kind: info.kind }, m.name, errs);
      const warnings = strategy.warningsOnCreate?.(candidate) ?? [];
      const key = objectKey(info, m.namespace, m.name);
      try {
        if (dryRun) {
          if (await core.storage.get(key)) throw newAlreadyExists(groupResource(info), m.name);
          ctx.warnings.push(...warnings);
          return candidate;
        }
        const kv = await core.storage.create(key, encodeObject(info, candidate), traceWriteOptions());
        ctx.warnings.push(...warnings);
        return decodeObject(info, kv);
      } catch (err) {
        const exists =
          isStorageError(err, "ERR_KEY_EXISTS") ||
          (err instanceof StatusError && err.reason === "AlreadyExists");
        if (!exists) throw mapWriteError(err, info, m.name);
        if (generated) {
          if (attempt < maxNameGenerationAttempts) continue;
          // CheckGeneratedNameError / NewGenerateNameConflict.
          const e = newAlreadyExists(groupResource(info), m.name).status;
          throw new StatusError({
            code: e.code,
            reason: "AlreadyExists",
            message: `${e.message}, the server was not able to generate a unique name for the object`,
            details: { ...e.details, retryAfterSeconds: 1 },
          });
        }
        const e = newAlreadyExists(groupResource(info), m.name);
        const current = await core.storage.get(key);
        if (current && metadataOf(decodeObject(info, current)).deletionTimestamp) {
          throw new StatusError({ ...e.status, message: `object is being deleted: ${e.message}` });
        }
        throw e;
      }
    }
  }

  const registry: Registry = {
    async get(info, namespace, name) {
      const kv = await core.storage.get(objectKey(info, namespace, name));
      if (!kv) throw newNotFound(groupResource(info), name);
      return decodeObject(info, kv);
    },

    list: (info, namespace, opts?: ListOptions) => listObjects(core.storage, info, namespace, opts),

    create,

    async update(ctx, info, namespace, name, object, opts: UpdateOptions = {}) {
      return (await registry.replace(ctx, info, namespace, name, object, opts)).object;
    },

    async replace(ctx, info, namespace, name, object, opts: UpdateOptions = {}) {
      let created = false;
      const stored = await runUpdate(
        core,
        ctx,
        info,
        namespace,
        name,
        () => object,
        opts,
        async (obj) => {
          const made = await create(ctx, info, namespace, obj, opts);
          created = true;
          return made;
        },
      );
      return { object: stored, created };
    },

    guaranteedUpdate(ctx, info, namespace, name, mutate, opts: UpdateOptions = {}) {
      return runUpdate(core, ctx, info, namespace, name, mutate, opts, (obj) =>
        create(ctx, info, namespace, obj, opts),
      );
    },

    delete(_ctx, info, namespace, name, opts: DeleteOptions = {}): Promise<DeleteResult> {
      return runDelete(core, info, namespace, name, opts);
    },

    async deleteCollection(ctx, info, namespace, listOptions, opts: DeleteOptions = {}) {
      const { items } = await listObjects(core.storage, info, namespace, { ...listOptions, limit: 0 });
      const out: StoredObject[] = [];
      for (const item of items) {
        try {
          const r = await registry.delete(ctx, info, item.metadata?.namespace ?? "", nameOf(item), opts);
          out.push(r.object);
        } catch (err) {
          // Gone meanwhile: nothing left to delete (DeleteCollection ignores NotFound).
          if (!(err instanceof StatusError && err.reason === "NotFound")) throw err;
        }
      }
      return out;
    },

    watch: (info, namespace, opts) => watchObjects(core.storage, info, namespace, opts),
  };
  return registry;
}
