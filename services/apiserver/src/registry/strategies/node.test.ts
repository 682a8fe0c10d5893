import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { invalidText, objectFrom } from "../test-objects.js";
import { nodeStrategy as s } from "./node.js";

const node = (json: Record<string, unknown>) =>
  objectFrom(corev1.NodeSchema, { metadata: { name: "n1", resourceVersion: "1" }, ...json } as never);

describe("nodeStrategy.validate", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["valid", { spec: { taints: [{ key: "k", effect: "NoSchedule" }] } }, ""],
    [
      "taint effect",
      { spec: { taints: [{ key: "k", effect: "Sometimes" }] } },
      `Node "n1" is invalid: metadata.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"`,
    ],
    [
      "taint effect required",
      { spec: { taints: [{ key: "k" }] } },
      `Node "n1" is invalid: metadata.taints[0].effect: Required value`,
    ],
    [
      "duplicate taint",
      {
        spec: {
          taints: [
            { key: "k", effect: "NoSchedule" },
            { key: "k", value: "v", effect: "NoSchedule" },
          ],
        },
      },
      `Node "n1" is invalid: metadata.taints[1]: Duplicate value: "taints must be unique by key and effect pair"`,
    ],
  ];
  it.each(cases)("%s", (_, json, want) => {
    expect(invalidText("Node", "n1", s.validate(node(json)))).toBe(want);
  });
});

describe("nodeStrategy update", () => {
  it("sets podCIDRs once", () => {
    const old = node({ spec: { podCIDRs: ["10.0.0.0/24"] } });
    const next = node({ spec: { podCIDRs: ["10.0.1.0/24"] } });
    expect(invalidText("Node", "n1", s.validateUpdate(next, old))).toBe(
      `Node "n1" is invalid: spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid`,
    );
    expect(s.validateUpdate(next, node({}))).toEqual([]);
  });
  it("keeps status on the main resource and spec on /status", () => {
    const old = node({ spec: { unschedulable: true }, status: { phase: "Running" } });
    const main = node({ spec: { unschedulable: false }, status: { phase: "Pending" } });
    s.prepareForUpdate(main, old);
    expect([main.spec!.unschedulable, main.status!.phase]).toEqual([false, "Running"]);
    const st = node({ spec: { unschedulable: false }, status: { phase: "Pending" } });
    s.subresources.status!.prepareForUpdate(st, old);
    expect([st.spec!.unschedulable, st.status!.phase]).toEqual([true, "Pending"]);
  });
  it("defaults allocatable to capacity", () => {
    const n = node({ status: { capacity: { cpu: "2", pods: "110" } } });
    s.default(n);
    expect(Object.fromEntries(Object.entries(n.status!.allocatable).map(([k, q]) => [k, q.string]))).toEqual({
      cpu: "2",
      pods: "110",
    });
  });
});
