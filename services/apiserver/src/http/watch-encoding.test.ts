import { create } from "@bufbuild/protobuf";
import { newResourceExpired, resourceFor, type StoredObject } from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { encodeJson } from "./responses.js";
import { watchTableEncoder } from "./tables/index.js";
import {
  bookmarkObject,
  defaultWatchTimeoutMs,
  plainObjectEncoder,
  watchEventJson,
} from "./watch-encoding.js";

const sa = resourceFor("", "serviceaccounts")!;
const object = create(corev1.ServiceAccountSchema, {
  metadata: {
    name: "a",
    namespace: "ns",
    resourceVersion: "12",
    creationTimestamp: { seconds: 1700000000n, nanos: 0 },
  },
}) as StoredObject;

describe("watch events", () => {
  it("frames an object event as one JSON line with apiVersion and kind", () => {
    expect(encodeJson(watchEventJson(sa, { type: "ADDED", object }, plainObjectEncoder(sa)))).toBe(
      '{"type":"ADDED","object":{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"a","namespace":"ns","resourceVersion":"12","creationTimestamp":"2023-11-14T22:13:20Z"}}}\n',
    );
  });

  it("carries a bookmark as an empty object of the kind", () => {
    expect(watchEventJson(sa, { type: "BOOKMARK", resourceVersion: "40" }, plainObjectEncoder(sa))).toEqual({
      type: "BOOKMARK",
      object: {
        kind: "ServiceAccount",
        apiVersion: "v1",
        metadata: { resourceVersion: "40", creationTimestamp: null },
      },
    });
    expect(bookmarkObject(sa, "40", true)).toEqual({
      kind: "Table",
      apiVersion: "meta.k8s.io/v1",
      metadata: { resourceVersion: "40" },
      columnDefinitions: null,
      rows: [],
    });
  });

  it("carries an error as its Status", () => {
    const status = newResourceExpired("too old resource version: 1 (5)").status;
    expect(watchEventJson(sa, { type: "ERROR", status }, plainObjectEncoder(sa))).toEqual({
      type: "ERROR",
      object: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: "too old resource version: 1 (5)",
        reason: "Expired",
        code: 410,
      },
    });
  });

  it("sends Table column definitions with the first event only", () => {
    const encode = watchTableEncoder(sa, { now: () => 1700000005000 });
    const first = watchEventJson(sa, { type: "ADDED", object }, encode, true);
    const second = watchEventJson(sa, { type: "MODIFIED", object }, encode, true);
    expect((first.object as { columnDefinitions: unknown[] }).columnDefinitions).toHaveLength(3);
    expect((second.object as { columnDefinitions: unknown }).columnDefinitions).toBeNull();
    expect((second.object as { rows: { cells: unknown[] }[] }).rows[0]!.cells).toEqual(["a", 0, "5s"]);
  });

  it("keeps a watch open 30 to 60 minutes by default", () => {
    expect(defaultWatchTimeoutMs(() => 0)).toBe(1_800_000);
    expect(defaultWatchTimeoutMs(() => 0.999)).toBe(3_598_200);
  });
});
