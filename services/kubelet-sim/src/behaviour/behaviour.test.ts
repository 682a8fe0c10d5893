import { describe, expect, it } from "vitest";
import { behaviourToYaml, DEFAULT_BEHAVIOUR, drawDelay, maxPodsOf, parseBehaviour } from "./behaviour.js";

describe("parseBehaviour", () => {
  it("gives the defaults for an empty file", () => {
    expect(parseBehaviour("")).toEqual({ value: DEFAULT_BEHAVIOUR });
  });

  it("reads YAML over the defaults", () => {
    const result = parseBehaviour(
      [
        "pod:",
        "  reportContainerCreating: false",
        "  start: { delay: 0s }",
        "  ready: { delay: 2s, jitter: 1s }",
        "  stop: { delay: 500ms, jitter: 250ms }",
        "node:",
        "  heartbeatInterval: 10s",
        "  labels: { zone: a }",
        "  taints: [{ key: dedicated, value: sim, effect: NoSchedule }]",
        "  capacity: { pods: 250 }",
        "  nodeInfo: { kubeletVersion: v1.31.4 }",
      ].join("\n"),
    );
    expect("value" in result).toBe(true);
    if (!("value" in result)) return;
    const b = result.value;
    expect(b.pod.reportContainerCreating).toBe(false);
    expect(b.pod.start).toEqual({ delayMs: 0, jitterMs: 500 });
    expect(b.pod.ready).toEqual({ delayMs: 2000, jitterMs: 1000 });
    expect(b.pod.stop).toEqual({ delayMs: 500, jitterMs: 250 });
    expect(b.node.heartbeatIntervalMs).toBe(10_000);
    expect(b.node.labels).toEqual({ zone: "a" });
    expect(b.node.taints).toEqual([{ key: "dedicated", value: "sim", effect: "NoSchedule" }]);
    expect(b.node.capacity).toEqual({ pods: "250" });
    expect(b.node.allocatable).toEqual({ pods: "250" });
    expect(maxPodsOf(b)).toBe(250);
    expect(b.node.nodeInfo.kubeletVersion).toBe("v1.31.4");
    expect(b.node.nodeInfo.operatingSystem).toBe("linux");
  });

  it("reads JSON", () => {
    const result = parseBehaviour('{"pod":{"stop":{"delay":"grace"}},"node":{"heartbeatInterval":"2m"}}');
    expect(result).toEqual({
      value: {
        ...DEFAULT_BEHAVIOUR,
        node: { ...DEFAULT_BEHAVIOUR.node, heartbeatIntervalMs: 120_000 },
      },
    });
  });

  it.each([
    [
      "pod: { start: { delay: soon } }",
      'pod.start.delay: invalid duration "soon" (Go syntax, e.g. 1s, 500ms, 1m30s; not negative)',
    ],
    ["pod: { strat: {} }", "pod.strat: unknown field"],
    ["colour: red", "colour: unknown field"],
    [
      "pod: { reportContainerCreating: yes please }",
      'pod.reportContainerCreating: must be true or false, not "yes please"',
    ],
    ["node: { heartbeatInterval: 10ms }", "node.heartbeatInterval: must be at least 1s"],
    [
      "node: { taints: [{ key: a, effect: Never }] }",
      'node.taints[0].effect: must be NoSchedule, PreferNoSchedule or NoExecute, not "Never"',
    ],
    ["node: { labels: [a] }", "node.labels: must be a mapping"],
    ["pod: [1]", "pod: must be a mapping"],
    [
      "pod: {",
      "not valid YAML: Flow map in block collection must be sufficiently indented and end with a } at line 1, column 7:",
    ],
  ])("refuses %j", (text, error) => {
    expect(parseBehaviour(text)).toEqual({ error });
  });

  it("round-trips the defaults through behaviourToYaml", () => {
    expect(parseBehaviour(behaviourToYaml(DEFAULT_BEHAVIOUR))).toEqual({ value: DEFAULT_BEHAVIOUR });
  });
});

describe("drawDelay", () => {
  it.each([
    [0, 1000],
    [0.5, 1250],
    [0.999, 1499],
  ])("random %s → %s ms", (r, expected) => {
    expect(drawDelay({ delayMs: 1000, jitterMs: 500 }, () => r)).toBe(expected);
  });
});
