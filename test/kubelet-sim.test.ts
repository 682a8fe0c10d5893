/**
 * The kubelet-sim end to end, with the real processes (nats-server, apiserver, admission,
 * token-controller, kubelet-sim) and the real kubectl:
 *
 * - a pod created with kubectl is bound to a simulated node and runs (Pending → Running with
 *   conditions and startTime); its projected token file appears with claims naming the pod, its
 *   uid, the node and its uid, next to ca.crt and namespace, with the file modes of reference §5;
 * - a pod whose token lives 20 s (apiserver test flag `--service-account-token-min-expiration=10s`)
 *   has its token file replaced before expiry several times, each token authenticating (TokenReview
 *   through kubectl), while its simulated workload (SelfSubjectReview every second with the mounted
 *   token and ca.crt) sees no failure;
 * - deleting a pod removes its files after the grace period and confirms the deletion; its token
 *   stops authenticating once the pod is gone, and for a pod a finalizer keeps, at the end of the
 *   apiserver's deletion grace (`--service-account-token-deletion-grace=5s` standing in for 60 s);
 * - restarting the kubelet-sim re-adopts its running pods without a TokenRequest for tokens still
 *   on disk and without touching their status, and runs a pod created while it was down.
 */
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync } from "node:fs";
import path from "node:path";
import { startTestStack, type TestStack } from "@tokenplane/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let stack: TestStack;
const ns = "ks-e2e";
const SA_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";
/** Measured figures, printed at the end (the report quotes them). */
const measured: Record<string, number | string> = {};

interface PodJson {
  metadata: { name: string; uid: string; resourceVersion: string; deletionTimestamp?: string };
  spec: { nodeName?: string; volumes?: Array<{ name: string }> };
  status: {
    phase?: string;
    startTime?: string;
    podIP?: string;
    hostIP?: string;
    conditions?: Array<{ type: string; status: string }>;
    containerStatuses?: Array<{ state?: { running?: unknown } }>;
  };
}

async function kubectl(args: string[], input?: string): Promise<string> {
  const r = await stack.kubectl(args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function getPod(name: string): Promise<PodJson | undefined> {
  const r = await stack.kubectl(["get", "pod", name, "-n", ns, "-o", "json"]);
  if (r.code !== 0) {
    if (r.stderr.includes("NotFound")) return undefined;
    throw new Error(r.stderr);
  }
  return JSON.parse(r.stdout) as PodJson;
}

/** Polls `check` every 100 ms until it returns a value; resolves with it. */
async function until<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function runningPod(name: string): Promise<PodJson> {
  return until(`pod ${name} Running`, 30_000, async () => {
    const p = await getPod(name);
    return p?.status.phase === "Running" ? p : undefined;
  });
}

function volumeDir(pod: PodJson, volume: string): string {
  return path.join(
    stack.layout.kubeletDir,
    "pods",
    pod.metadata.uid,
    "volumes",
    "kubernetes.io~projected",
    volume,
  );
}

function tokenVolume(pod: PodJson): string {
  const v = pod.spec.volumes?.find((x) => x.name.startsWith("kube-api-access-"));
  if (v === undefined) throw new Error(`pod ${pod.metadata.name} has no kube-api-access volume`);
  return v.name;
}

function claims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8")) as Record<
    string,
    unknown
  >;
}

/** TokenReview as the administrator (kubectl create -f - -o json). */
async function review(token: string): Promise<{
  authenticated?: boolean;
  error?: string;
  user?: { username?: string; extra?: Record<string, string[]> };
}> {
  const out = await kubectl(
    ["create", "-o", "json", "-f", "-"],
    JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token } }),
  );
  return (JSON.parse(out) as { status: { authenticated?: boolean; error?: string } }).status;
}

/** The kubelet-sim's metrics: series → value. */
async function simMetrics(): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${stack.ports["kubelet-sim"].metrics}/metrics`);
  const out = new Map<string, number>();
  for (const line of (await res.text()).split("\n")) {
    if (!line.startsWith("kubelet_sim_")) continue;
    const i = line.lastIndexOf(" ");
    out.set(
      line
        .slice(0, i)
        .replace(/,?service="kubelet-sim"/, "")
        .replace("{}", ""),
      Number(line.slice(i + 1)),
    );
  }
  return out;
}

function podManifest(
  name: string,
  opts: { labels?: Record<string, string>; spec?: Record<string, unknown>; finalizers?: string[] } = {},
) {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: ns,
      labels: opts.labels ?? {},
      ...(opts.finalizers ? { finalizers: opts.finalizers } : {}),
    },
    spec: { containers: [{ name: "app", image: "busybox" }], ...opts.spec },
  });
}

/** The rotating pod: its own kube-api-access volume (admission reuses it) with a 20 s token. */
const rotatorManifest = JSON.stringify({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "rotator", namespace: ns, labels: { "tokenplane.io/workload": "true" } },
  spec: {
    containers: [
      {
        name: "app",
        image: "busybox",
        volumeMounts: [{ name: "kube-api-access-short", mountPath: SA_MOUNT, readOnly: true }],
      },
    ],
    volumes: [
      {
        name: "kube-api-access-short",
        projected: {
          sources: [
            { serviceAccountToken: { path: "token", expirationSeconds: 20 } },
            { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
            {
              downwardAPI: { items: [{ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } }] },
            },
          ],
        },
      },
    ],
  },
});

/** What the background poller saw of the rotator's token file. */
interface Sighting {
  token: string;
  seenAt: number;
  review?: Promise<Awaited<ReturnType<typeof review>>>;
}
const sightings: Sighting[] = [];
let poller: NodeJS.Timeout | undefined;
let rotatorFile = "";

beforeAll(async () => {
  stack = await startTestStack({
    services: ["admission", "apiserver", "token-controller", "kubelet-sim"],
    extraArgs: {
      apiserver: [
        "--service-account-token-min-expiration=10s",
        "--service-account-token-deletion-grace=5s",
        "--token-success-cache-ttl=0s",
      ],
      "kubelet-sim": ["--nodes=3", "--workload-interval=1s", "--node-labels=tier=e2e"],
    },
  });
  await kubectl(["create", "namespace", ns]);
  // The rotator starts first: its token rotates while the other tests run.
  await until(
    "kube-root-ca.crt",
    20_000,
    async () => (await stack.kubectl(["get", "configmap", "kube-root-ca.crt", "-n", ns])).code === 0,
  );
  await kubectl(["create", "-f", "-"], rotatorManifest);
  const rotator = await runningPod("rotator");
  rotatorFile = path.join(volumeDir(rotator, "kube-api-access-short"), "token");
  poller = setInterval(() => {
    let token: string;
    try {
      token = readFileSync(rotatorFile, "utf8");
    } catch {
      return;
    }
    if (sightings.at(-1)?.token === token) return;
    const s: Sighting = { token, seenAt: Date.now() };
    s.review = review(token);
    s.review.catch(() => {});
    sightings.push(s);
  }, 100);
}, 120_000);

afterAll(async () => {
  if (poller) clearInterval(poller);
  console.log(`kubelet-sim e2e: ${JSON.stringify(measured)}`);
  await stack?.close();
});

describe("a pod created with kubectl", () => {
  let pod: PodJson;

  it("is bound to a simulated node and runs, with conditions, startTime and IPs", async () => {
    const created = Date.now();
    expect(
      await kubectl(
        ["create", "-f", "-"],
        podManifest("web", { labels: { "tokenplane.io/workload": "true" } }),
      ),
    ).toBe("pod/web created\n");
    pod = await runningPod("web");
    measured.createToRunningMs = Date.now() - created;
    expect(pod.spec.nodeName).toMatch(/^kubelet-sim-[0-2]$/);
    expect(pod.status.startTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(pod.status.podIP).toMatch(/^10\.0\.[0-2]\.\d+$/);
    expect(pod.status.hostIP).toMatch(/^172\.16\.0\.[0-2]$/);
    expect(pod.status.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual([
      "PodReadyToStartContainers=True",
      "Initialized=True",
      "Ready=True",
      "ContainersReady=True",
      "PodScheduled=True",
    ]);
    expect(pod.status.containerStatuses?.[0]?.state?.running).toBeDefined();
    const nodes = await kubectl([
      "get",
      "nodes",
      "-l",
      "tier=e2e",
      "-o",
      "custom-columns=NAME:.metadata.name,READY:.status.conditions[?(@.type=='Ready')].status",
      "--no-headers",
    ]);
    expect(
      nodes
        .trim()
        .split("\n")
        .map((l) => l.split(/\s+/)),
    ).toEqual([
      ["kubelet-sim-0", "True"],
      ["kubelet-sim-1", "True"],
      ["kubelet-sim-2", "True"],
    ]);
  });

  it("gets a token file whose claims name the pod, its uid, the node and its uid", async () => {
    const dir = volumeDir(pod, tokenVolume(pod));
    const token = readFileSync(path.join(dir, "token"), "utf8");
    const c = claims(token);
    const nodeName = pod.spec.nodeName!;
    const nodeUid = await kubectl(["get", "node", nodeName, "-o", "jsonpath={.metadata.uid}"]);
    const saUid = await kubectl([
      "get",
      "serviceaccount",
      "default",
      "-n",
      ns,
      "-o",
      "jsonpath={.metadata.uid}",
    ]);
    expect(c["kubernetes.io"]).toEqual({
      namespace: ns,
      node: { name: nodeName, uid: nodeUid },
      pod: { name: "web", uid: pod.metadata.uid },
      serviceaccount: { name: "default", uid: saUid },
      warnafter: (c.iat as number) + 3607,
    });
    expect(c.sub).toBe(`system:serviceaccount:${ns}:default`);
    // The admission-injected 3607 s token is extended to a year (reference §2.4).
    expect((c.exp as number) - (c.iat as number)).toBe(31_536_000);
    expect(readFileSync(path.join(dir, "ca.crt"), "utf8")).toBe(readFileSync(stack.layout.ca.cert, "utf8"));
    expect(readFileSync(path.join(dir, "namespace"), "utf8")).toBe(ns);
    // AtomicWriter layout: user-visible names are symlinks into ..data, which points at a timestamped dir.
    expect(readlinkSync(path.join(dir, "token"))).toBe("..data/token");
    expect(readlinkSync(path.join(dir, "..data"))).toMatch(/^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\./);
    expect((statSync(path.join(dir, "token")).mode & 0o777).toString(8)).toBe("644");
    const status = await review(token);
    expect(status.authenticated).toBe(true);
    expect(status.user?.extra?.["authentication.kubernetes.io/node-uid"]).toEqual([nodeUid]);
  });

  it("writes the file modes of reference §5 for runAsUser and fsGroup", async () => {
    const cases: Array<[string, Record<string, number>, string, number, number]> = [
      ["as-user", { runAsUser: 1000 }, "600", 1000, 0],
      ["as-group", { fsGroup: 2000 }, "640", 0, 2000],
      ["as-both", { runAsUser: 1000, fsGroup: 2000 }, "640", 1000, 2000],
    ];
    for (const [name, securityContext] of cases) {
      await kubectl(["create", "-f", "-"], podManifest(name, { spec: { securityContext } }));
    }
    for (const [name, , mode, uid, gid] of cases) {
      const p = await runningPod(name);
      const st = statSync(path.join(volumeDir(p, tokenVolume(p)), "token"));
      expect([name, (st.mode & 0o777).toString(8), st.uid, st.gid]).toEqual([name, mode, uid, gid]);
    }
  });
});

describe("deleting a pod", () => {
  it("removes its files after the grace period and confirms the deletion; the token then fails", async () => {
    await kubectl(["create", "-f", "-"], podManifest("doomed"));
    const pod = await runningPod("doomed");
    const dir = path.join(stack.layout.kubeletDir, "pods", pod.metadata.uid);
    const token = readFileSync(path.join(volumeDir(pod, tokenVolume(pod)), "token"), "utf8");
    const deleted = Date.now();
    await kubectl(["delete", "pod", "doomed", "-n", ns, "--grace-period=2", "--wait=false"]);
    // Within its grace period the pod exists with a deletionTimestamp ahead: the token still works.
    expect((await review(token)).authenticated).toBe(true);
    expect(existsSync(dir)).toBe(true);
    await until("the pod's files removed", 10_000, () => !existsSync(dir));
    const removedAfter = Date.now() - deleted;
    await until("the pod gone", 10_000, async () => (await getPod("doomed")) === undefined);
    measured.deleteToFilesRemovedMs = removedAfter;
    measured.deleteToGoneMs = Date.now() - deleted;
    expect(removedAfter).toBeGreaterThanOrEqual(1500);
    expect(await review(token)).toEqual({ user: {}, error: "service account token has been invalidated" });
  });

  it("keeps the token valid until the deletion grace after the deletionTimestamp, then not", async () => {
    // A finalizer keeps the pod object after the kubelet confirmed: only the grace protects the token.
    await kubectl(["create", "-f", "-"], podManifest("held", { finalizers: ["tokenplane.io/e2e-hold"] }));
    const pod = await runningPod("held");
    const dir = path.join(stack.layout.kubeletDir, "pods", pod.metadata.uid);
    const token = readFileSync(path.join(volumeDir(pod, tokenVolume(pod)), "token"), "utf8");
    await kubectl(["delete", "pod", "held", "-n", ns, "--grace-period=1", "--wait=false"]);
    await until("the pod's files removed", 10_000, () => !existsSync(dir));
    const p = await getPod("held");
    const deletionTimestamp = Date.parse(p!.metadata.deletionTimestamp!);
    // deletionTimestamp + up to 5 s: still valid (reference §1.5, grace shortened from 60 s).
    if (Date.now() < deletionTimestamp + 3500) expect((await review(token)).authenticated).toBe(true);
    await until("the deletion grace to pass", 15_000, () => Date.now() > deletionTimestamp + 6_500);
    expect(await review(token)).toEqual({ user: {}, error: "service account token has been invalidated" });
    await kubectl([
      "patch",
      "pod",
      "held",
      "-n",
      ns,
      "--type=merge",
      "-p",
      '{"metadata":{"finalizers":null}}',
    ]);
    await until("the held pod gone", 10_000, async () => (await getPod("held")) === undefined);
  });
});

describe("a 20 s token", () => {
  it("is replaced before expiry several times, each token valid, while the workload sees no failure", async () => {
    const before = await simMetrics();
    await until("three replacements of the rotator's token", 70_000, () => sightings.length >= 4);
    const after = await simMetrics();
    const gaps: number[] = [];
    for (let i = 1; i < sightings.length; i++) {
      const previous = claims(sightings[i - 1]!.token);
      const current = claims(sightings[i]!.token);
      expect((current.exp as number) - (current.iat as number)).toBe(20);
      // Replaced before the previous token expired.
      expect(sightings[i]!.seenAt).toBeLessThan((previous.exp as number) * 1000);
      gaps.push((current.iat as number) - (previous.iat as number));
    }
    measured.rotationGapsSeconds = gaps.join(",");
    for (const s of sightings) {
      const status = await s.review!;
      expect(status.authenticated).toBe(true);
      expect(status.user?.username).toBe(`system:serviceaccount:${ns}:default`);
      expect(status.user?.extra?.["authentication.kubernetes.io/pod-name"]).toEqual(["rotator"]);
    }
    expect(after.get('kubelet_sim_workload_requests_total{result="failure"}') ?? 0).toBe(0);
    const successes =
      (after.get('kubelet_sim_workload_requests_total{result="success"}') ?? 0) -
      (before.get('kubelet_sim_workload_requests_total{result="success"}') ?? 0);
    measured.workloadSuccessesDuringRotation = successes;
    expect(successes).toBeGreaterThan(10);
    expect(after.get("kubelet_sim_token_refresh_failures_total")).toBe(0);
    expect(stack.logs("kubelet-sim").some((l) => l.includes("workload request failed"))).toBe(false);
  }, 90_000);
});

describe("restarting the kubelet-sim", () => {
  it("re-adopts its running pods without new TokenRequests and runs pods created meanwhile", async () => {
    // The rotator's token is always close to refresh: delete it so the count below is exact.
    if (poller) clearInterval(poller);
    await kubectl(["delete", "pod", "rotator", "-n", ns, "--grace-period=0", "--force"]);
    const web = await runningPod("web");
    const webToken = path.join(volumeDir(web, tokenVolume(web)), "token");
    const tokenBefore = readFileSync(webToken, "utf8");
    const dataBefore = readlinkSync(path.join(path.dirname(webToken), "..data"));
    const running = (
      await kubectl(["get", "pods", "-n", ns, "--field-selector=status.phase=Running", "-o", "name"])
    )
      .trim()
      .split("\n");
    expect(running.sort()).toEqual(["pod/as-both", "pod/as-group", "pod/as-user", "pod/web"]);

    await stack.stop("kubelet-sim");
    await kubectl(["create", "-f", "-"], podManifest("late"));
    const restarted = Date.now();
    await stack.start("kubelet-sim");
    measured.restartToHealthyMs = Date.now() - restarted;
    await runningPod("late");

    const m = await simMetrics();
    expect(m.get("kubelet_sim_tokens_adopted_total")).toBe(4);
    // One TokenRequest: the pod created while the process was down. None for tokens on disk.
    expect(m.get("kubelet_sim_tokens_issued_total")).toBe(1);
    expect(readFileSync(webToken, "utf8")).toBe(tokenBefore);
    expect(readlinkSync(path.join(path.dirname(webToken), "..data"))).toBe(dataBefore);
    expect(m.get('kubelet_sim_volume_writes_total{reason="mount"}')).toBe(1);
    const webAfter = await getPod("web");
    // Its status was not written again.
    expect(webAfter?.metadata.resourceVersion).toBe(web.metadata.resourceVersion);
    expect(lstatSync(webToken).isSymbolicLink()).toBe(true);
  });
});
