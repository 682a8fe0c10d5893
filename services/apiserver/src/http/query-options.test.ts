import type { StatusError } from "@tokenplane/apimachinery";
import { describe, expect, it } from "vitest";
import { parseDeleteOptions, parseListQuery, parseWriteQuery } from "./query-options.js";

const q = (s: string) => new URLSearchParams(s);
const bytes = (s: string) => new TextEncoder().encode(s);

function failure(fn: () => unknown): { code: number; message: string } {
  try {
    fn();
  } catch (err) {
    return { code: (err as StatusError).code, message: (err as StatusError).message };
  }
  throw new Error("expected a failure");
}

describe("parseWriteQuery", () => {
  it("defaults fieldValidation to Warn and reads the rest", () => {
    expect(parseWriteQuery(q(""), "CreateOptions")).toEqual({
      dryRun: false,
      fieldValidation: "Warn",
      force: false,
    });
    expect(
      parseWriteQuery(q("dryRun=All&fieldManager=kubectl&fieldValidation=Strict&force=true"), "PatchOptions"),
    ).toEqual({ dryRun: true, fieldManager: "kubectl", fieldValidation: "Strict", force: true });
  });

  it.each([
    [
      "fieldValidation=Loose",
      'UpdateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loose": supported values: "", "Ignore", "Strict", "Warn"',
    ],
    [
      "dryRun=All&dryRun=Some",
      'UpdateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"All", "Some"}: supported values: "All"',
    ],
    [
      `fieldManager=${"m".repeat(129)}`,
      'UpdateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes',
    ],
  ])("422 for %s", (query, message) => {
    expect(failure(() => parseWriteQuery(q(query), "UpdateOptions"))).toEqual({ code: 422, message });
  });
});

describe("parseListQuery", () => {
  it("reads selectors, paging and watch options", () => {
    const r = parseListQuery(
      q(
        "labelSelector=app%3Dweb&fieldSelector=metadata.name%3Da&limit=500&continue=abc&resourceVersion=7&watch=1&allowWatchBookmarks=true&timeoutSeconds=30",
      ),
    );
    expect(r.list.labelSelector?.requirements).toHaveLength(1);
    expect(r.list.fieldSelector?.requirements).toEqual([
      { field: "metadata.name", operator: "=", value: "a" },
    ]);
    expect(r.list).toMatchObject({ limit: 500, continue: "abc", resourceVersion: "7" });
    expect(r).toMatchObject({ watch: true, allowWatchBookmarks: true, timeoutSeconds: 30 });
  });

  it("400 for numbers that do not parse and selectors that do not parse", () => {
    expect(failure(() => parseListQuery(q("limit=ten")))).toEqual({
      code: 400,
      message: 'strconv.ParseInt: parsing "ten": invalid syntax',
    });
    expect(failure(() => parseListQuery(q("fieldSelector=nope"))).code).toBe(400);
    expect(failure(() => parseListQuery(q("labelSelector=a%20in%20(")))).toMatchObject({ code: 400 });
  });
});

describe("parseDeleteOptions", () => {
  it("reads kubectl's body, or the query when there is none", () => {
    expect(parseDeleteOptions(q(""), bytes('{"propagationPolicy":"Background"}'))).toEqual({
      dryRun: false,
      propagationPolicy: "Background",
    });
    expect(
      parseDeleteOptions(
        q(""),
        bytes(
          '{"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":0,"preconditions":{"uid":"u","resourceVersion":"5"},"dryRun":["All"]}',
        ),
      ),
    ).toEqual({ dryRun: true, gracePeriodSeconds: 0, preconditions: { uid: "u", resourceVersion: "5" } });
    expect(
      parseDeleteOptions(q("gracePeriodSeconds=30&propagationPolicy=Foreground"), new Uint8Array()),
    ).toEqual({
      dryRun: false,
      gracePeriodSeconds: 30,
      propagationPolicy: "Foreground",
    });
    expect(parseDeleteOptions(q("orphanDependents=true"), new Uint8Array())).toEqual({
      dryRun: false,
      propagationPolicy: "Orphan",
    });
  });

  it.each([
    [
      '{"propagationPolicy":"Sideways"}',
      422,
      'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sideways": supported values: "Foreground", "Background", "Orphan"',
    ],
    [
      '{"propagationPolicy":"Orphan","orphanDependents":true}',
      422,
      'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "Orphan": orphanDependents and deletionPropagation cannot be both set',
    ],
    [
      '{"gracePeriodSeconds":"10"}',
      400,
      "json: cannot unmarshal string into Go struct field DeleteOptions.gracePeriodSeconds of type int64",
    ],
    ['{"kind":"Pod"}', 400, "decoded object cannot be converted to DeleteOptions"],
    ["{", 400, "couldn't get version/kind; json parse error: unexpected end of JSON input"],
  ])("refuses %s", (body, code, message) => {
    expect(failure(() => parseDeleteOptions(q(""), bytes(body)))).toEqual({ code, message });
  });
});
