/**
 * The simulated nodes' objects, pure: names, addresses, the Node registered at start and the
 * status patch each heartbeat posts (conditions as a kubelet reports them, `lastHeartbeatTime`
 * now, `lastTransitionTime` kept). Addresses are derived from the node's index so restarts give
 * the same ones: InternalIP `172.16.0.0/12` + index, pod CIDR `10.<index / 256>.<index % 256>.0/24`.
 */
import { create } from "@bufbuild/protobuf";
import { formatRfc3339, timeFromMs } from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import type { ParseResult } from "@tokenplane/runtime";
import type { Behaviour } from "../behaviour/behaviour.js";

/** Label every simulated node carries (with the name of the process's prefix). */
export const SIMULATED_NODE_LABEL = "tokenplane.io/kubelet-sim";
/** The kubelet's port, reported in `status.daemonEndpoints`. */
export const KUBELET_PORT = 10250;

/** `<prefix><index>` for `count` nodes. */
export function nodeNames(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}

/** The node's InternalIP. */
export function nodeInternalIp(index: number): string {
  return `172.${16 + ((index >> 16) & 15)}.${(index >> 8) & 255}.${index & 255}`;
}

/** The node's pod CIDR. */
export function nodePodCidr(index: number): string {
  return `10.${(index >> 8) & 255}.${index & 255}.0/24`;
}

/** The `seq`-th pod IP of a node (hosts .2 to .254, reused after 253). */
export function podIp(index: number, seq: number): string {
  return `10.${(index >> 8) & 255}.${index & 255}.${2 + (seq % 253)}`;
}

/** Parses `--node-labels` values (`key=value`); `{ error }` names the bad one. */
export function parseNodeLabels(values: readonly string[]): ParseResult<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf("=");
    if (eq <= 0) return { error: `invalid --node-labels entry "${v}": want key=value` };
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return { value: out };
}

/** The labels of a node: the kubelet's well-known ones, the behaviour's, then `--node-labels`. */
export function nodeLabels(
  name: string,
  behaviour: Behaviour,
  extra: Readonly<Record<string, string>>,
): Record<string, string> {
  return {
    "kubernetes.io/hostname": name,
    "kubernetes.io/os": behaviour.node.nodeInfo.operatingSystem,
    "kubernetes.io/arch": behaviour.node.nodeInfo.architecture,
    "beta.kubernetes.io/os": behaviour.node.nodeInfo.operatingSystem,
    "beta.kubernetes.io/arch": behaviour.node.nodeInfo.architecture,
    [SIMULATED_NODE_LABEL]: "true",
    ...behaviour.node.labels,
    ...extra,
  };
}

/** The four conditions a healthy kubelet reports, as JSON. */
function conditionsJson(now: number, since: number) {
  const c = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    lastHeartbeatTime: formatRfc3339(now),
    lastTransitionTime: formatRfc3339(since),
    reason,
    message,
  });
  return [
    c("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    c("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    c("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    c("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
  ];
}

/** The Node registered at start. */
export function nodeObject(
  name: string,
  index: number,
  behaviour: Behaviour,
  extraLabels: Readonly<Record<string, string>>,
  now: number,
): corev1.Node {
  const quantities = (m: Readonly<Record<string, string>>) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, { string: v }]));
  const cidr = nodePodCidr(index);
  return create(corev1.NodeSchema, {
    metadata: {
      name,
      labels: nodeLabels(name, behaviour, extraLabels),
      annotations: { "node.alpha.kubernetes.io/ttl": "0" },
    },
    spec: {
      podCIDR: cidr,
      podCIDRs: [cidr],
      providerID: `kubelet-sim://${name}`,
      taints: behaviour.node.taints.map((t) => ({ ...t })),
    },
    status: {
      capacity: quantities(behaviour.node.capacity),
      allocatable: quantities(behaviour.node.allocatable),
      conditions: conditionsJson(now, now).map((c) => ({
        ...c,
        lastHeartbeatTime: timeFromMs(now),
        lastTransitionTime: timeFromMs(now),
      })),
      addresses: [
        { type: "InternalIP", address: nodeInternalIp(index) },
        { type: "Hostname", address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: KUBELET_PORT } },
      nodeInfo: {
        ...behaviour.node.nodeInfo,
        machineID: name,
        systemUUID: name,
        bootID: name,
        kubeProxyVersion: behaviour.node.nodeInfo.kubeletVersion,
      },
    },
  });
}

/** A heartbeat: the conditions with `lastHeartbeatTime = now` (merge patch of nodes/status). */
export function heartbeatPatch(now: number, readySince: number): string {
  return JSON.stringify({ status: { conditions: conditionsJson(now, readySince) } });
}
