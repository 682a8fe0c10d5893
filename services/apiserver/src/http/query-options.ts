/**
 * The query options of the resource API (`metav1.ListOptions`, `CreateOptions`, `UpdateOptions`,
 * `PatchOptions`, `DeleteOptions`), parsed and validated with kube-apiserver's texts: a value
 * that does not parse is 400; a value outside the allowed set is 422 on the options kind
 * (`CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"x"}: supported
 * values: "All"`).
 */
import {
  type FieldError,
  type FieldSelector,
  fieldError,
  type JsonValue,
  type LabelSelector,
  newBadRequest,
  newInvalid,
  omitValue,
  parseFieldSelector,
  parseLabelSelector,
  type StatusError,
} from "@tokenplane/apimachinery";
import type { DeleteOptions, ListOptions } from "../registry/registry.js";
import type { FieldValidation } from "./decode-object.js";
import { goJsonSyntaxError } from "./go-json-syntax.js";
import { queryBool } from "./request-info.js";

/** The options kinds named in 422 messages. */
export type OptionsKind =
  | "CreateOptions"
  | "UpdateOptions"
  | "PatchOptions"
  | "DeleteOptions"
  | "ListOptions";

function invalidOptions(kind: OptionsKind, errs: FieldError[]): StatusError {
  return newInvalid({ group: "meta.k8s.io", kind }, "", errs);
}

/** Go's `%#v` of a []string, as NotSupported prints a slice value. */
function goStringSlice(values: readonly string[]): string {
  return `[]string{${values.map((v) => JSON.stringify(v)).join(", ")}}`;
}

/** `dryRun` values: only `All` exists. */
function dryRunOf(values: string[], kind: OptionsKind): boolean {
  if (values.length === 0) return false;
  if (values.some((v) => v !== "All")) {
    throw invalidOptions(kind, [
      {
        type: "FieldValueNotSupported",
        field: "dryRun",
        badValue: omitValue,
        detail: `${goStringSlice(values)}: supported values: "All"`,
      },
    ]);
  }
  return true;
}

const fieldValidationValues = ["", "Ignore", "Strict", "Warn"];

/** Options of a write (create, update, patch). */
export interface WriteQuery {
  dryRun: boolean;
  fieldManager?: string;
  /** Absent → Warn, Kubernetes' default since 1.27. */
  fieldValidation: FieldValidation;
  /** Server-side apply only. */
  force: boolean;
}

/** Parses `dryRun`, `fieldManager`, `fieldValidation` and `force`. */
export function parseWriteQuery(query: URLSearchParams, kind: OptionsKind): WriteQuery {
  const fv = query.get("fieldValidation") ?? "";
  if (!fieldValidationValues.includes(fv)) {
    throw invalidOptions(kind, [fieldError.notSupported("fieldValidation", fv, fieldValidationValues)]);
  }
  const fieldManager = query.get("fieldManager") ?? undefined;
  if (fieldManager !== undefined && fieldManager.length > 128) {
    throw invalidOptions(kind, [fieldError.tooLong("fieldManager", fieldManager, 128)]);
  }
  // `force` only means something to apply patches; elsewhere the parameter is ignored
  const forceRaw = query.get("force");
  const force = forceRaw !== null && queryBool(forceRaw);
  return {
    dryRun: dryRunOf(query.getAll("dryRun"), kind),
    ...(fieldManager !== undefined ? { fieldManager } : {}),
    fieldValidation: (fv === "" ? "Warn" : fv) as FieldValidation,
    force,
  };
}

/** `strconv.ParseInt` as the query codec uses it. */
function parseIntParam(value: string): number {
  if (!/^[+-]?\d+$/.test(value)) {
    throw newBadRequest(`strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`);
  }
  const n = Number(value);
  if (!Number.isSafeInteger(n))
    throw newBadRequest(`strconv.ParseInt: parsing ${JSON.stringify(value)}: value out of range`);
  return n;
}

/** List and watch options. */
export interface ListQuery {
  list: ListOptions;
  watch: boolean;
  allowWatchBookmarks: boolean;
  /** Watch: end the stream after this many seconds. */
  timeoutSeconds?: number;
}

/** Parses list/watch query parameters (400 for selectors or numbers that do not parse). */
export function parseListQuery(query: URLSearchParams): ListQuery {
  const list: ListOptions = {};
  const ls = query.get("labelSelector");
  if (ls !== null && ls !== "") {
    const r = parseLabelSelector(ls);
    if ("error" in r) throw newBadRequest(r.error);
    list.labelSelector = r.value as LabelSelector;
  }
  const fs = query.get("fieldSelector");
  if (fs !== null && fs !== "") {
    const r = parseFieldSelector(fs);
    if ("error" in r) throw newBadRequest(r.error);
    list.fieldSelector = r.value as FieldSelector;
  }
  const rv = query.get("resourceVersion");
  if (rv !== null && rv !== "") list.resourceVersion = rv;
  const limit = query.get("limit");
  if (limit !== null && limit !== "") list.limit = Math.max(0, parseIntParam(limit));
  const cont = query.get("continue");
  if (cont !== null && cont !== "") list.continue = cont;
  const out: ListQuery = {
    list,
    watch: queryBool(query.get("watch")),
    allowWatchBookmarks: queryBool(query.get("allowWatchBookmarks")),
  };
  const timeout = query.get("timeoutSeconds");
  if (timeout !== null && timeout !== "") out.timeoutSeconds = parseIntParam(timeout);
  return out;
}

const propagationPolicies = ["Foreground", "Background", "Orphan"];

/**
 * Delete options: from a body (`DeleteOptions` JSON, as kubectl sends it) when there is one,
 * otherwise from the query (`gracePeriodSeconds`, `propagationPolicy`, `dryRun`,
 * `orphanDependents`), then validated (ValidateDeleteOptions).
 */
export function parseDeleteOptions(query: URLSearchParams, body: Uint8Array): DeleteOptions {
  let grace: number | undefined;
  let propagation: string | undefined;
  let orphan: boolean | undefined;
  let dryRun: string[] = [];
  let preconditions: DeleteOptions["preconditions"];
  if (body.length > 0) {
    const syntax = goJsonSyntaxError(body);
    if (syntax !== undefined) throw newBadRequest(`couldn't get version/kind; json parse error: ${syntax}`);
    const json = JSON.parse(Buffer.from(body).toString("utf8")) as JsonValue;
    if (json === null || typeof json !== "object" || Array.isArray(json)) {
      throw newBadRequest("decoded object cannot be converted to DeleteOptions");
    }
    if (json.kind !== undefined && json.kind !== "DeleteOptions") {
      throw newBadRequest("decoded object cannot be converted to DeleteOptions");
    }
    const num = (v: JsonValue | undefined, field: string): number | undefined => {
      if (v === undefined || v === null) return undefined;
      if (typeof v !== "number" || !Number.isInteger(v)) {
        throw newBadRequest(
          `json: cannot unmarshal ${typeof v} into Go struct field DeleteOptions.${field} of type int64`,
        );
      }
      return v;
    };
    const str = (v: JsonValue | undefined, field: string): string | undefined => {
      if (v === undefined || v === null) return undefined;
      if (typeof v !== "string") {
        throw newBadRequest(
          `json: cannot unmarshal ${typeof v} into Go struct field DeleteOptions.${field} of type string`,
        );
      }
      return v;
    };
    grace = num(json.gracePeriodSeconds, "gracePeriodSeconds");
    propagation = str(json.propagationPolicy, "propagationPolicy");
    if (typeof json.orphanDependents === "boolean") orphan = json.orphanDependents;
    if (Array.isArray(json.dryRun)) dryRun = json.dryRun.filter((x): x is string => typeof x === "string");
    const pre = json.preconditions;
    if (pre && typeof pre === "object" && !Array.isArray(pre)) {
      const uid = str(pre.uid, "preconditions.uid");
      const rv = str(pre.resourceVersion, "preconditions.resourceVersion");
      preconditions = {
        ...(uid !== undefined ? { uid } : {}),
        ...(rv !== undefined ? { resourceVersion: rv } : {}),
      };
    }
  } else {
    const g = query.get("gracePeriodSeconds");
    if (g !== null && g !== "") grace = parseIntParam(g);
    const p = query.get("propagationPolicy");
    if (p !== null && p !== "") propagation = p;
    const o = query.get("orphanDependents");
    if (o !== null) orphan = queryBool(o);
    dryRun = query.getAll("dryRun");
  }
  const errs: FieldError[] = [];
  if (propagation !== undefined && !propagationPolicies.includes(propagation)) {
    errs.push(fieldError.notSupported("propagationPolicy", propagation, propagationPolicies));
  }
  if (orphan !== undefined && propagation !== undefined) {
    errs.push(
      fieldError.invalid(
        "propagationPolicy",
        propagation,
        "orphanDependents and deletionPropagation cannot be both set",
      ),
    );
  }
  if (errs.length > 0) throw invalidOptions("DeleteOptions", errs);
  const out: DeleteOptions = { dryRun: dryRunOf(dryRun, "DeleteOptions") };
  if (grace !== undefined) out.gracePeriodSeconds = grace;
  if (propagation !== undefined) out.propagationPolicy = propagation;
  else if (orphan !== undefined) out.propagationPolicy = orphan ? "Orphan" : "Background";
  if (preconditions !== undefined) out.preconditions = preconditions;
  return out;
}
