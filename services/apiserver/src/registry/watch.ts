/**
 * Watch over the storage watch, as Kubernetes' watch cache serves it: resourceVersion "" or "0"
 * starts with a synthetic ADDED for every current object, an explicit revision replays the
 * changes after it; selectors turn an object moving into the selection into ADDED and one moving
 * out into DELETED (carrying its previous state at the event's revision); history older than the
 * store keeps ends in an ERROR event with 410 Expired; BOOKMARKs carry the last revision seen.
 */
import {
  newInternalError,
  type ResourceInfo,
  type Status,
  type StoredObject,
} from "@tokenplane/apimachinery";
import { type Storage, StorageError, type StorageEvent } from "../storage/storage.js";
import { decodeObject } from "./codec.js";
import { keyPrefix } from "./keys.js";
import type { WatchEvent, WatchOptions } from "./registry.js";
import { parseResourceVersion, tooOldResourceVersion } from "./resource-version.js";
import { compileSelection, type Selection } from "./selection.js";

/** Default interval between BOOKMARK events (Kubernetes sends them about once a minute). */
export const defaultBookmarkIntervalMs = 60_000;

/**
 * Starts a watch. Malformed selectors or resourceVersions throw a StatusError (400) at once,
 * before any event; everything later arrives as events. The iteration ends when `signal` aborts.
 */
export function watchObjects(
  storage: Storage,
  info: ResourceInfo,
  namespace: string,
  options: WatchOptions,
): AsyncIterable<WatchEvent> {
  const selection = compileSelection(info, options.labelSelector, options.fieldSelector);
  const from = parseResourceVersion(options.resourceVersion);
  return run(storage, info, keyPrefix(info, namespace), selection, from, options);
}

/** Converts one storage event for this watcher; undefined when it does not concern it. */
function convert(info: ResourceInfo, selection: Selection, ev: StorageEvent): WatchEvent | undefined {
  const obj = decodeObject(info, ev.kv);
  const matches = selection.matches;
  if (ev.type === "delete") {
    // kv holds the last state, with the delete's revision as resourceVersion.
    return !matches || matches(obj) ? { type: "DELETED", object: obj } : undefined;
  }
  if (!matches) return { type: ev.prevKv ? "MODIFIED" : "ADDED", object: obj };
  const cur = matches(obj);
  const prev: StoredObject | undefined = ev.prevKv ? decodeObject(info, ev.prevKv) : undefined;
  const old = prev !== undefined && matches(prev);
  if (cur) return { type: old ? "MODIFIED" : "ADDED", object: obj };
  if (old) {
    // Leaving the selection: the previous content, at this event's revision.
    prev.metadata!.resourceVersion = String(ev.revision);
    return { type: "DELETED", object: prev };
  }
  return undefined;
}

function errorEvent(status: Status): WatchEvent {
  return { type: "ERROR", status };
}

async function* run(
  storage: Storage,
  info: ResourceInfo,
  prefix: string,
  selection: Selection,
  from: number,
  options: WatchOptions,
): AsyncGenerator<WatchEvent> {
  const { signal } = options;
  // Our own signal for the storage watch, so that it also ends when the consumer stops early.
  const inner = new AbortController();
  const onAbort = () => inner.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  if (signal.aborted) inner.abort();
  let timer: NodeJS.Timeout | undefined;
  let last = from;
  try {
    if (from === 0) {
      const page = await storage.range(prefix);
      last = page.revision;
      for (const kv of page.kvs) {
        if (inner.signal.aborted) return;
        const obj = decodeObject(info, kv);
        if (!selection.matches || selection.matches(obj)) yield { type: "ADDED", object: obj };
      }
    } else if (from < storage.oldestRevision()) {
      yield errorEvent(tooOldResourceVersion(from, storage.oldestRevision()).status);
      return;
    }

    const it = storage.watch(prefix, last, inner.signal)[Symbol.asyncIterator]();
    const interval = options.bookmarkIntervalMs ?? defaultBookmarkIntervalMs;
    let pending: Promise<IteratorResult<StorageEvent>> | undefined;
    let tick: Promise<"tick"> | undefined;
    for (;;) {
      if (inner.signal.aborted) return;
      pending ??= it.next();
      if (options.allowBookmarks && !tick) {
        tick = new Promise((resolve) => {
          timer = setTimeout(() => resolve("tick"), interval);
        });
      }
      const next = await (tick ? Promise.race([pending, tick]) : pending);
      if (next === "tick") {
        tick = undefined;
        yield { type: "BOOKMARK", resourceVersion: String(last) };
        continue;
      }
      pending = undefined;
      if (next.done) return;
      last = next.value.revision;
      const ev = convert(info, selection, next.value);
      if (ev) yield ev;
    }
  } catch (err) {
    if (inner.signal.aborted) return;
    if (err instanceof StorageError && err.code === "ERR_COMPACTED") {
      const oldest = typeof err.current === "number" ? err.current : storage.oldestRevision();
      yield errorEvent(tooOldResourceVersion(last, oldest).status);
      return;
    }
    yield errorEvent(newInternalError(err).status);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
    inner.abort();
  }
}
