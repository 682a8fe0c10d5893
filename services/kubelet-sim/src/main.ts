/**
 * The kubelet-sim: one process that simulates many nodes and does what a kubelet does with
 * service-account tokens — registers the nodes, binds and runs pods, writes their projected
 * volumes atomically, rotates their tokens, carries out graceful deletion, and optionally runs a
 * workload per pod that uses its token. Flags: config.ts; behaviour: README.md.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { runService } from "@tokenplane/runtime";
import { DEFAULT_BEHAVIOUR, parseBehaviour } from "./behaviour/behaviour.js";
import { grpcKubeletApi } from "./client/kubelet-api.js";
import { kubeletSimFlags } from "./config.js";
import { createKubeletSim } from "./kubelet.js";
import { nodeNames, parseNodeLabels } from "./nodes/node-objects.js";
import { canChown } from "./volumes/atomic-writer.js";

await runService(
  {
    name: "kubelet-sim",
    summary:
      "Simulated kubelets: registers --nodes Node objects, binds and runs pods on them, writes their projected service-account token volumes as the kubelet does and rotates the tokens, and optionally runs a workload per pod that calls the apiserver with its token.",
    flags: kubeletSimFlags,
  },
  async (rt) => {
    const { cfg } = rt;
    let behaviour = DEFAULT_BEHAVIOUR;
    if (cfg.behaviourFile !== "") {
      const parsed = parseBehaviour(await readFile(cfg.behaviourFile, "utf8"));
      if ("error" in parsed) throw new Error(`behaviour file ${cfg.behaviourFile}: ${parsed.error}`);
      behaviour = parsed.value;
    }
    const labels = parseNodeLabels(cfg.nodeLabels);
    if ("error" in labels) throw new Error(labels.error);
    const sim = createKubeletSim({
      api: grpcKubeletApi(rt.apiserver()),
      nats: await rt.connectNats(),
      clock: rt.clock,
      log: rt.log,
      registry: rt.metrics,
      rootDir: cfg.rootDir || path.join(cfg.tokenplaneHome, "kubelet"),
      apiserverUrl: cfg.apiserverUrl,
      nodeNames: nodeNames(cfg.nodeNamePrefix, cfg.nodes),
      nodeLabels: labels.value,
      behaviour,
      maxConcurrentTokenRequests: cfg.maxConcurrentTokenRequests,
      maxConcurrentApiCalls: cfg.maxConcurrentApiCalls,
      workloads: cfg.workloads,
      workloadIntervalMs: cfg.workloadInterval,
      deleteNodesOnShutdown: cfg.deleteNodesOnShutdown,
      chown: canChown(),
    });
    rt.shutdown.add("kubelet-sim", () => sim.stop());
    await sim.start();
    return { ready: () => sim.ready() };
  },
);
