import { toK8sJson } from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { DEFAULT_BEHAVIOUR } from "../behaviour/behaviour.js";
import {
  heartbeatPatch,
  nodeInternalIp,
  nodeNames,
  nodeObject,
  nodePodCidr,
  parseNodeLabels,
  podIp,
} from "./node-objects.js";

const T0 = Date.UTC(2024, 0, 1);

describe("node objects", () => {
  it("names nodes by prefix and index", () => {
    expect(nodeNames("kubelet-sim-", 3)).toEqual(["kubelet-sim-0", "kubelet-sim-1", "kubelet-sim-2"]);
  });

  it.each([
    [0, "172.16.0.0", "10.0.0.0/24", "10.0.0.2"],
    [1, "172.16.0.1", "10.0.1.0/24", "10.0.1.2"],
    [999, "172.16.3.231", "10.3.231.0/24", "10.3.231.2"],
  ])("derives the addresses of node %s", (i, ip, cidr, first) => {
    expect(nodeInternalIp(i)).toBe(ip);
    expect(nodePodCidr(i)).toBe(cidr);
    expect(podIp(i, 0)).toBe(first);
  });

  it("reuses pod IPs after 253", () => {
    expect(podIp(0, 252)).toBe("10.0.0.254");
    expect(podIp(0, 253)).toBe("10.0.0.2");
  });

  it.each([
    [["zone=a", "team=x=y"], { value: { zone: "a", team: "x=y" } }],
    [["zone"], { error: 'invalid --node-labels entry "zone": want key=value' }],
    [["=a"], { error: 'invalid --node-labels entry "=a": want key=value' }],
  ])("parses --node-labels %j", (input, expected) => {
    expect(parseNodeLabels(input)).toEqual(expected);
  });

  it("builds a ready node with labels, capacity, addresses and node info", () => {
    const json = toK8sJson(
      corev1.NodeSchema,
      nodeObject("kubelet-sim-1", 1, DEFAULT_BEHAVIOUR, { zone: "a" }, T0),
    ) as {
      metadata: { labels: Record<string, string> };
      spec: Record<string, unknown>;
      status: {
        conditions: Array<Record<string, string>>;
        capacity: Record<string, string>;
        addresses: unknown[];
        nodeInfo: Record<string, string>;
      };
    };
    expect(json.metadata.labels).toEqual({
      "kubernetes.io/hostname": "kubelet-sim-1",
      "kubernetes.io/os": "linux",
      "kubernetes.io/arch": "amd64",
      "beta.kubernetes.io/os": "linux",
      "beta.kubernetes.io/arch": "amd64",
      "tokenplane.io/kubelet-sim": "true",
      zone: "a",
    });
    expect(json.spec.podCIDR).toBe("10.0.1.0/24");
    expect(json.status.capacity).toEqual({
      cpu: "32",
      memory: "256Gi",
      pods: "110",
      "ephemeral-storage": "100Gi",
    });
    expect(json.status.addresses).toEqual([
      { type: "InternalIP", address: "172.16.0.1" },
      { type: "Hostname", address: "kubelet-sim-1" },
    ]);
    expect(json.status.conditions.find((c) => c.type === "Ready")).toEqual({
      type: "Ready",
      status: "True",
      lastHeartbeatTime: "2024-01-01T00:00:00Z",
      lastTransitionTime: "2024-01-01T00:00:00Z",
      reason: "KubeletReady",
      message: "kubelet is posting ready status",
    });
    expect(json.status.nodeInfo.kubeletVersion).toBe("v1.32.0");
  });

  it("posts heartbeats with a new lastHeartbeatTime and the old lastTransitionTime", () => {
    const patch = JSON.parse(heartbeatPatch(T0 + 60_000, T0)) as {
      status: { conditions: Array<Record<string, string>> };
    };
    expect(
      patch.status.conditions.map((c) => [c.type, c.status, c.lastHeartbeatTime, c.lastTransitionTime]),
    ).toEqual([
      ["MemoryPressure", "False", "2024-01-01T00:01:00Z", "2024-01-01T00:00:00Z"],
      ["DiskPressure", "False", "2024-01-01T00:01:00Z", "2024-01-01T00:00:00Z"],
      ["PIDPressure", "False", "2024-01-01T00:01:00Z", "2024-01-01T00:00:00Z"],
      ["Ready", "True", "2024-01-01T00:01:00Z", "2024-01-01T00:00:00Z"],
    ]);
  });
});
