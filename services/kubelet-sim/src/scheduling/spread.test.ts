import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { chooseNode, type NodeCandidate, podFitsNode, toleratesTaint } from "./spread.js";

const node = (name: string, pods: number, over: Partial<NodeCandidate> = {}): NodeCandidate => ({
  name,
  labels: {},
  taints: [],
  pods,
  maxPods: 110,
  ...over,
});
const pod = (spec: MessageInitShape<typeof corev1.PodSpecSchema> = {}) => create(corev1.PodSchema, { spec });

describe("chooseNode", () => {
  it.each([
    ["the node with the fewest pods", [3, 1, 2], 0, 1],
    ["ties from the cursor", [1, 1, 1], 1, 1],
    ["ties wrap around", [1, 1, 1], 2, 2],
    ["ties before the cursor after wrapping", [0, 1, 1], 1, 0],
  ])("picks %s", (_what, counts, cursor, expected) => {
    const nodes = counts.map((c, i) => node(`n${i}`, c));
    expect(chooseNode(nodes, pod(), cursor).index).toBe(expected);
  });

  it("spreads a burst evenly over equal nodes", () => {
    const counts = [0, 0, 0, 0];
    let cursor = 0;
    for (let i = 0; i < 100; i++) {
      const nodes = counts.map((c, j) => node(`n${j}`, c));
      const choice = chooseNode(nodes, pod(), cursor);
      counts[choice.index!]!++;
      cursor = choice.cursor;
    }
    expect(counts).toEqual([25, 25, 25, 25]);
  });

  it("skips full nodes and returns nothing when all are full", () => {
    expect(chooseNode([node("a", 2, { maxPods: 2 }), node("b", 5)], pod(), 0).index).toBe(1);
    expect(chooseNode([node("a", 2, { maxPods: 2 })], pod(), 0)).toEqual({ index: undefined, cursor: 0 });
  });

  it("honours nodeSelector", () => {
    const nodes = [node("a", 0), node("b", 9, { labels: { zone: "z1" } })];
    expect(chooseNode(nodes, pod({ nodeSelector: { zone: "z1" } }), 0).index).toBe(1);
    expect(chooseNode(nodes, pod({ nodeSelector: { zone: "z2" } }), 0).index).toBeUndefined();
  });
});

describe("taints", () => {
  const taint = { key: "dedicated", value: "sim", effect: "NoSchedule" };
  it.each([
    ["no toleration", [], false],
    [
      "equal key and value",
      [{ key: "dedicated", operator: "Equal", value: "sim", effect: "NoSchedule" }],
      true,
    ],
    ["empty operator means Equal", [{ key: "dedicated", operator: "", value: "sim", effect: "" }], true],
    ["wrong value", [{ key: "dedicated", operator: "Equal", value: "x", effect: "" }], false],
    ["exists on the key", [{ key: "dedicated", operator: "Exists", value: "", effect: "" }], true],
    ["exists on everything", [{ key: "", operator: "Exists", value: "", effect: "" }], true],
    ["other effect", [{ key: "dedicated", operator: "Exists", value: "", effect: "NoExecute" }], false],
  ])("%s", (_what, tolerations, expected) => {
    const tols = tolerations.map((t) => create(corev1.TolerationSchema, t));
    expect(toleratesTaint(tols, taint)).toBe(expected);
    expect(podFitsNode(pod({ tolerations: tols }), node("a", 0, { taints: [taint] }))).toBe(expected);
  });

  it("ignores PreferNoSchedule taints", () => {
    expect(
      podFitsNode(pod(), node("a", 0, { taints: [{ key: "k", value: "", effect: "PreferNoSchedule" }] })),
    ).toBe(true);
  });
});
