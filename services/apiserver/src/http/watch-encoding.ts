/**
 * Watch events on the wire, as kube-apiserver frames a JSON watch: one `metav1.WatchEvent`
 * (`{"type":"ADDED","object":{...}}`) per line. Objects carry `apiVersion` and `kind`; a BOOKMARK
 * carries an empty object of the kind holding only the resourceVersion (as the watch cache makes
 * it); an ERROR carries the Status. With a Table Accept header each object is a one-row Table,
 * the column definitions on the first one only (tables/table.ts). Pure.
 */
import {
  type JsonObject,
  objectToJson,
  type ResourceInfo,
  type StoredObject,
} from "@tokenplane/apimachinery";
import type { WatchEvent } from "../registry/registry.js";
import { statusToJson } from "./http-status.js";

/** Turns the stored object of an event into its JSON (the object itself, or a Table). */
export type ObjectEncoder = (object: StoredObject) => JsonObject;

/** The plain encoder: the object with `apiVersion` and `kind`. */
export function plainObjectEncoder(info: ResourceInfo): ObjectEncoder {
  return (object) => objectToJson(info, object);
}

/** The object of a BOOKMARK event. */
export function bookmarkObject(info: ResourceInfo, resourceVersion: string, asTable: boolean): JsonObject {
  if (asTable) {
    return {
      kind: "Table",
      apiVersion: "meta.k8s.io/v1",
      metadata: { resourceVersion },
      columnDefinitions: null,
      rows: [],
    };
  }
  return {
    kind: info.kind,
    apiVersion: info.apiVersion,
    metadata: { resourceVersion, creationTimestamp: null },
  };
}

/** The `metav1.WatchEvent` JSON of one event. */
export function watchEventJson(
  info: ResourceInfo,
  event: WatchEvent,
  encode: ObjectEncoder,
  asTable = false,
): JsonObject {
  switch (event.type) {
    case "BOOKMARK":
      return { type: "BOOKMARK", object: bookmarkObject(info, event.resourceVersion, asTable) };
    case "ERROR":
      return { type: "ERROR", object: statusToJson(event.status) };
    default:
      return { type: event.type, object: encode(event.object) };
  }
}

/**
 * How long a watch stays open without `timeoutSeconds`: kube-apiserver's `--min-request-timeout`
 * (1800 s) times a random factor in [1, 2), so that clients do not reconnect all at once.
 */
export function defaultWatchTimeoutMs(random: () => number = Math.random): number {
  return Math.floor(1800_000 * (random() + 1));
}
