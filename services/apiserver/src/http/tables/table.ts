/**
 * Server-side printing: a `meta.k8s.io/v1` `Table` of objects, as kube-apiserver answers a
 * request whose Accept asks for `as=Table` (kubectl get sends
 * `application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json`).
 *
 * Each row carries the object as the `includeObject` query parameter asks: `Metadata` (the
 * default) a `PartialObjectMetadata` (`{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{...}}`),
 * `Object` the full object, `None` null.
 *
 * **Watch.** With `?watch=true` and a Table Accept header, every watch event's `object` is a Table
 * holding that one object's row; the first event's Table carries the column definitions and the
 * following ones have `columnDefinitions: null` (Kubernetes' watch handler sets
 * `TableOptions.NoHeaders` after the first object it transforms). `watchTableEncoder` keeps that
 * state for one stream. Each event Table's `metadata.resourceVersion` is the object's.
 */
import {
  type JsonObject,
  type JsonValue,
  newBadRequest,
  objectToJson,
  type ResourceInfo,
  type StoredObject,
  toK8sJson,
} from "@tokenplane/apimachinery";
import { metav1 } from "@tokenplane/proto";
import { acceptsJsonAs, acceptsPlainJson, parseAccept } from "../discovery/index.js";
import { columnsFor } from "./columns.js";
import { printRow } from "./printers.js";

/** What each row's `object` holds (`?includeObject=`). */
export type IncludeObject = "Object" | "Metadata" | "None";

/** The Table API versions kubectl asks for. */
export type TableApiVersion = "meta.k8s.io/v1" | "meta.k8s.io/v1beta1";

export interface TableOptions {
  /** The current time in ms since the epoch (AGE cells). */
  now: number;
  /** Default `Metadata`. */
  includeObject?: IncludeObject;
  /** Default `meta.k8s.io/v1`. */
  apiVersion?: TableApiVersion;
  /** Leave out the column definitions (`columnDefinitions: null`), as for watch events after the first. */
  noHeaders?: boolean;
  /**
   * The Table's list metadata. For a list, the list's resourceVersion/continue/remainingItemCount;
   * default: the resourceVersion of the only object when there is exactly one, else empty.
   */
  listMeta?: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
}

/** The object of a row, per `includeObject`. */
function rowObject(
  info: ResourceInfo,
  object: StoredObject,
  include: IncludeObject,
  apiVersion: string,
): JsonValue {
  switch (include) {
    case "None":
      return null;
    case "Object":
      return objectToJson(info, object);
    default:
      return {
        kind: "PartialObjectMetadata",
        apiVersion,
        metadata: object.metadata ? toK8sJson(metav1.ObjectMetaSchema, object.metadata, false) : {},
      };
  }
}

/** The Table of `objects` (of resource `info`). */
export function toTable(
  info: ResourceInfo,
  objects: readonly StoredObject[],
  options: TableOptions,
): JsonObject {
  const apiVersion = options.apiVersion ?? "meta.k8s.io/v1";
  const include = options.includeObject ?? "Metadata";
  const metadata: JsonObject = {};
  const lm = options.listMeta ?? {
    resourceVersion: objects.length === 1 ? (objects[0]?.metadata?.resourceVersion ?? "") : "",
  };
  if (lm.resourceVersion) metadata.resourceVersion = lm.resourceVersion;
  if (lm.continue) metadata.continue = lm.continue;
  if (lm.remainingItemCount !== undefined) metadata.remainingItemCount = lm.remainingItemCount;
  const rows = objects.map((object) => {
    const printed = printRow(info, object, options.now);
    const row: JsonObject = { cells: printed.cells };
    if (printed.conditions) row.conditions = printed.conditions.map((c) => ({ ...c }));
    row.object = rowObject(info, object, include, apiVersion);
    return row;
  });
  return {
    kind: "Table",
    apiVersion,
    metadata,
    columnDefinitions: options.noHeaders
      ? null
      : columnsFor(info.group, info.resource).map((c) => ({ ...c })),
    rows,
  };
}

/**
 * A watch stream's Table encoder: each call turns one event's object into a one-row Table, with
 * the column definitions on the first call only.
 */
export function watchTableEncoder(
  info: ResourceInfo,
  options: Omit<TableOptions, "noHeaders" | "listMeta" | "now"> & { now: () => number },
): (object: StoredObject) => JsonObject {
  let headersSent = false;
  return (object) => {
    const table = toTable(info, [object], { ...options, now: options.now(), noHeaders: headersSent });
    headersSent = true;
    return table;
  };
}

/** The Table form an Accept header asks for, with its exact Content-Type. */
export interface TableMediaType {
  apiVersion: TableApiVersion;
  contentType: string;
}

/**
 * Whether the Accept header prefers a Table (`application/json;as=Table;v=v1;g=meta.k8s.io`, or
 * v1beta1) over a plain object; undefined when the first acceptable form is plain JSON (or
 * nothing tokenplane serves).
 */
export function wantsTable(acceptHeader: string | undefined): TableMediaType | undefined {
  for (const r of parseAccept(acceptHeader)) {
    for (const v of ["v1", "v1beta1"] as const) {
      if (acceptsJsonAs(r, "Table", "meta.k8s.io", v)) {
        return {
          apiVersion: `meta.k8s.io/${v}`,
          contentType: `application/json;as=Table;v=${v};g=meta.k8s.io`,
        };
      }
    }
    if (acceptsPlainJson(r)) return undefined;
  }
  return undefined;
}

/**
 * The `includeObject` query parameter: `Object`, `Metadata` or `None`; absent or empty is
 * `Metadata`. Anything else is Kubernetes' 400.
 */
export function parseIncludeObject(value: string | null | undefined): IncludeObject {
  if (value === undefined || value === null || value === "" || value === "Metadata") return "Metadata";
  if (value === "Object" || value === "None") return value;
  throw newBadRequest(`unrecognized includeObject value: "${value}"`);
}
