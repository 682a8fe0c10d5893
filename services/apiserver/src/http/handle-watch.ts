/**
 * `GET ...?watch=true`: a chunked stream of watch events, one JSON line each, until
 * `timeoutSeconds` (default 30–60 min, as kube-apiserver), the client going away, or the server
 * closing. Errors found before the stream starts (RBAC, selectors, resourceVersion) are ordinary
 * Status responses; later ones arrive as an ERROR event that ends the stream.
 */
import { type FieldSelector, StatusError } from "@tokenplane/apimachinery";
import type { WatchEvent } from "../registry/registry.js";
import type { ApiRequest } from "./api-request.js";
import { readFormat } from "./handle-read.js";
import { statusToJson } from "./http-status.js";
import { parseListQuery } from "./query-options.js";
import type { ResourceTarget } from "./resolve-resource.js";
import { encodeJson, setWarnings } from "./responses.js";
import { parseIncludeObject, watchTableEncoder } from "./tables/index.js";
import {
  defaultWatchTimeoutMs,
  type ObjectEncoder,
  plainObjectEncoder,
  watchEventJson,
} from "./watch-encoding.js";

/** Registers a stream's stop function with the server (so shutdown ends it); returns the unregister function. */
export type WatchCloser = (stop: () => void) => () => void;

const pending = Symbol("pending");

/** Serves a watch. `track` registers the stream so that server shutdown can end it. */
export async function handleWatch(r: ApiRequest, t: ResourceTarget, track: WatchCloser): Promise<void> {
  const format = readFormat(r);
  const includeObject = parseIncludeObject(r.url.searchParams.get("includeObject"));
  const q = parseListQuery(r.url.searchParams);
  // `/watch/namespaces/<ns>/<resource>/<name>` (deprecated form) watches one object
  let fieldSelector: FieldSelector | undefined = q.list.fieldSelector;
  if (r.info.watchPath && r.info.parts.length >= 2 && t.name !== "") {
    fieldSelector = {
      requirements: [
        ...(fieldSelector?.requirements ?? []),
        { field: "metadata.name", operator: "=", value: t.name },
      ],
    };
  }
  const abort = new AbortController();
  const timeoutMs = q.timeoutSeconds !== undefined ? q.timeoutSeconds * 1000 : defaultWatchTimeoutMs();
  const events = await r.deps.api.watch(r.ctx, t.resource, t.namespace, {
    ...(q.list.labelSelector ? { labelSelector: q.list.labelSelector } : {}),
    ...(fieldSelector ? { fieldSelector } : {}),
    ...(q.list.resourceVersion !== undefined ? { resourceVersion: q.list.resourceVersion } : {}),
    allowBookmarks: q.allowWatchBookmarks,
    signal: abort.signal,
  });
  const it = events[Symbol.asyncIterator]();
  // A watch that fails at once (a malformed request) should still be a plain Status response:
  // give the first step a turn of the event loop before committing to a 200 stream.
  let first: Promise<IteratorResult<WatchEvent>> | undefined = it.next();
  const early = await Promise.race([
    first.then(
      (v) => ({ v }),
      (e: unknown) => ({ e }),
    ),
    new Promise<typeof pending>((resolve) => setImmediate(() => resolve(pending))),
  ]);
  if (early !== pending && "e" in early) {
    abort.abort();
    throw early.e;
  }

  const asTable = format.kind === "table";
  const encode: ObjectEncoder = asTable
    ? watchTableEncoder(t.resource, { now: r.deps.now, includeObject, apiVersion: format.groupVersion })
    : plainObjectEncoder(t.resource);

  const { res } = r;
  setWarnings(res, r.ctx.warnings);
  res.statusCode = 200;
  res.setHeader("Content-Type", "application/json");
  res.flushHeaders();

  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const onClose = () => abort.abort();
  res.on("close", onClose);
  const untrack = track(() => abort.abort());
  const write = async (text: string) => {
    if (res.destroyed || abort.signal.aborted) return;
    if (!res.write(text)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off("drain", done);
          abort.signal.removeEventListener("abort", done);
          resolve();
        };
        res.on("drain", done);
        abort.signal.addEventListener("abort", done);
      });
    }
  };
  try {
    for (;;) {
      const step = first ?? it.next();
      first = undefined;
      const result = await step;
      if (result.done || abort.signal.aborted) break;
      await write(encodeJson(watchEventJson(t.resource, result.value, encode, asTable)));
      if (result.value.type === "ERROR") break;
    }
  } catch (err) {
    if (err instanceof StatusError) {
      await write(encodeJson({ type: "ERROR", object: statusToJson(err.status) }));
    } else if (!abort.signal.aborted) {
      r.deps.log.error({ err, resource: t.resource.resource }, "watch stream failed");
    }
  } finally {
    clearTimeout(timer);
    res.off("close", onClose);
    untrack();
    abort.abort();
    await it.return?.().catch(() => undefined);
    if (!res.destroyed) res.end();
  }
}
