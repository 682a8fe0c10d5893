/**
 * The ServiceAccount admission plugin end to end: real kubectl creates pods through the real
 * apiserver, which calls the admission service over gRPC; the stored pods carry the default
 * service account, the projected token volume exactly as reference §9.3, the read-only mount in
 * every container and init container, and the account's imagePullSecrets. A missing account is
 * refused with Kubernetes' 403 text, and with the admission service stopped pod creation fails
 * closed (500, nothing stored) until it is back.
 *
 * Each case works in its own namespace and creates the service accounts it needs (the `default`
 * account is the token-controller's job, which may not run here).
 */
import { startTestStack, type TestStack } from "@tokenplane/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
}, 180_000);

afterAll(async () => {
  await stack?.close();
});

const mountPath = "/var/run/secrets/kubernetes.io/serviceaccount";
/** `kube-api-access-` + 5 characters of Kubernetes' SimpleNameGenerator alphabet (reference §3). */
const tokenVolumeName = /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/;

/** The projected volume of reference §3.3 / §9.3, as `kubectl get -o json` prints it. */
function tokenVolume(name: string) {
  return {
    name,
    projected: {
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
        { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
        {
          downwardAPI: {
            items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }],
          },
        },
      ],
      defaultMode: 420,
    },
  };
}

interface Container {
  name: string;
  volumeMounts?: Array<Record<string, unknown>>;
}
interface PodJson {
  metadata: { name: string; namespace: string };
  spec: {
    serviceAccountName?: string;
    serviceAccount?: string;
    automountServiceAccountToken?: boolean;
    volumes?: Array<{ name: string } & Record<string, unknown>>;
    containers: Container[];
    initContainers?: Container[];
    imagePullSecrets?: Array<{ name: string }>;
  };
}

/** Runs kubectl and fails the test with its output unless it exits 0. */
async function kubectlOk(args: string[], input?: string): Promise<string> {
  const res = await stack.kubectl(args, input === undefined ? {} : { input });
  if (res.code !== 0) {
    throw new Error(`kubectl ${args.join(" ")} exited ${res.code}\n${res.stderr}${res.stdout}`);
  }
  return res.stdout;
}

async function createNamespace(ns: string): Promise<void> {
  await kubectlOk(["create", "namespace", ns]);
}

/**
 * Creates service account `name` (with extra fields) unless it exists already — the
 * token-controller, when it runs, creates `default` itself.
 */
async function ensureServiceAccount(ns: string, name: string, extra: Record<string, unknown> = {}) {
  const res = await stack.kubectl(["create", "-f", "-"], {
    input: JSON.stringify({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name, namespace: ns },
      ...extra,
    }),
  });
  if (res.code !== 0 && !res.stderr.includes("AlreadyExists")) {
    throw new Error(`creating serviceaccount ${ns}/${name} failed: ${res.stderr}`);
  }
}

/** A pod manifest: `name` in `ns`, one busybox container, extra spec fields. */
function podManifest(ns: string, name: string, spec: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns },
    spec: { containers: [{ name: "c", image: "busybox" }], ...spec },
  });
}

async function getPod(ns: string, name: string): Promise<PodJson> {
  return JSON.parse(await kubectlOk(["get", "pod", name, "-n", ns, "-o", "json"])) as PodJson;
}

/** The token volume's name, after checking that it is the only volume and exactly §9.3's. */
function expectTokenVolume(pod: PodJson): string {
  const volumes = pod.spec.volumes ?? [];
  expect(volumes).toHaveLength(1);
  const name = volumes[0]!.name;
  expect(name).toMatch(tokenVolumeName);
  expect(volumes[0]).toEqual(tokenVolume(name));
  return name;
}

/** Every container and init container mounts `volume` read-only at the token path, last. */
function expectMounted(pod: PodJson, volume: string): void {
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    expect(c.volumeMounts?.at(-1), `mount of container ${c.name}`).toEqual({
      name: volume,
      readOnly: true,
      mountPath,
    });
  }
}

function expectNoToken(pod: PodJson): void {
  expect(pod.spec.volumes ?? []).toEqual([]);
  for (const c of pod.spec.containers) expect(c.volumeMounts ?? []).toEqual([]);
}

/**
 * Polls a server-side dry run of a pod until `ready` accepts the admitted pod: the admission
 * service's cache follows account changes by events, a moment after the change is stored.
 */
async function waitForAdmitted(ns: string, spec: Record<string, unknown>, ready: (pod: PodJson) => boolean) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const out = await kubectlOk(
      ["create", "--dry-run=server", "-o", "json", "-f", "-"],
      podManifest(ns, "probe", spec),
    );
    if (ready(JSON.parse(out) as PodJson)) return;
    if (Date.now() > deadline) throw new Error(`admission did not see the change in ${ns} within 15 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("pods created with kubectl", () => {
  it("kubectl apply: default account, §9.3 token volume, mounts in init and regular containers", async () => {
    const ns = "adm-apply";
    await createNamespace(ns);
    await ensureServiceAccount(ns, "default");
    const out = await kubectlOk(
      ["apply", "-f", "-"],
      podManifest(ns, "p", {
        initContainers: [{ name: "init", image: "busybox" }],
        containers: [
          { name: "c", image: "busybox" },
          {
            name: "d",
            image: "busybox",
            volumeMounts: [{ name: "scratch", mountPath: "/scratch" }],
          },
        ],
        volumes: [{ name: "scratch", emptyDir: {} }],
      }),
    );
    expect(out).toBe("pod/p created\n");

    const pod = await getPod(ns, "p");
    expect(pod.spec.serviceAccountName).toBe("default");
    expect(pod.spec.serviceAccount).toBe("default");
    const volumes = pod.spec.volumes ?? [];
    expect(volumes.map((v) => v.name)[0]).toBe("scratch");
    expect(volumes).toHaveLength(2);
    const token = volumes[1]!.name;
    expect(token).toMatch(tokenVolumeName);
    expect(volumes[1]).toEqual(tokenVolume(token));
    expectMounted(pod, token);
    expect(pod.spec.containers[1]?.volumeMounts).toEqual([
      { name: "scratch", mountPath: "/scratch" },
      { name: token, readOnly: true, mountPath },
    ]);
    expect(pod.spec.imagePullSecrets).toBeUndefined();
  });

  it("kubectl run: the same injection", async () => {
    const ns = "adm-run";
    await createNamespace(ns);
    await ensureServiceAccount(ns, "default");
    expect(await kubectlOk(["run", "r", "-n", ns, "--image=busybox", "--restart=Never"])).toBe(
      "pod/r created\n",
    );
    const pod = await getPod(ns, "r");
    expect(pod.spec.serviceAccountName).toBe("default");
    expectMounted(pod, expectTokenVolume(pod));
  });

  it("kubectl apply (fieldValidation=Strict) of probes: stored with the probe defaults filled in", async () => {
    const ns = "adm-probes";
    await createNamespace(ns);
    await ensureServiceAccount(ns, "default");
    const container = {
      name: "web",
      image: "nginx:1.27",
      ports: [{ name: "http", containerPort: 8080 }],
      livenessProbe: { httpGet: { port: "http" }, initialDelaySeconds: 3 },
      readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 5 },
      lifecycle: { preStop: { sleep: { seconds: 2 } } },
    };
    const res = await stack.kubectl(["apply", "-f", "-"], {
      input: podManifest(ns, "probed", { containers: [container] }),
    });
    expect(res.stderr).toBe("");
    expect(res.stdout).toBe("pod/probed created\n");

    const pod = await getPod(ns, "probed");
    expect(pod.spec.containers[0]).toMatchObject({
      ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
      // SetDefaults_Probe and SetDefaults_HTTPGetAction, as Kubernetes stores them.
      livenessProbe: {
        httpGet: { path: "/", port: "http", scheme: "HTTP" },
        initialDelaySeconds: 3,
        timeoutSeconds: 1,
        periodSeconds: 10,
        successThreshold: 1,
        failureThreshold: 3,
      },
      readinessProbe: {
        tcpSocket: { port: 8080 },
        timeoutSeconds: 1,
        periodSeconds: 5,
        successThreshold: 1,
        failureThreshold: 3,
      },
      lifecycle: { preStop: { sleep: { seconds: 2 } } },
    });
    expectMounted(pod, expectTokenVolume(pod));

    // A port that is neither a number nor a string is a 400 naming the field.
    const bad = await stack.kubectl(["create", "-f", "-"], {
      input: podManifest(ns, "badport", {
        containers: [{ name: "c", image: "busybox", readinessProbe: { tcpSocket: { port: true } } }],
      }),
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("spec.containers[0].readinessProbe.tcpSocket.port");
  });

  it("copies the account's imagePullSecrets only into pods that have none", async () => {
    const ns = "adm-pull";
    await createNamespace(ns);
    await ensureServiceAccount(ns, "default");
    await kubectlOk([
      "patch",
      "serviceaccount",
      "default",
      "-n",
      ns,
      "-p",
      '{"imagePullSecrets":[{"name":"regcred"}]}',
    ]);
    await waitForAdmitted(ns, {}, (p) => (p.spec.imagePullSecrets ?? []).length > 0);
    // The probes were dry runs: nothing stored.
    expect((await stack.kubectl(["get", "pod", "probe", "-n", ns])).stderr).toBe(
      'Error from server (NotFound): pods "probe" not found\n',
    );

    await kubectlOk(["apply", "-f", "-"], podManifest(ns, "plain"));
    expect((await getPod(ns, "plain")).spec.imagePullSecrets).toEqual([{ name: "regcred" }]);

    await kubectlOk(["apply", "-f", "-"], podManifest(ns, "own", { imagePullSecrets: [{ name: "mine" }] }));
    const own = await getPod(ns, "own");
    expect(own.spec.imagePullSecrets).toEqual([{ name: "mine" }]);
    expectMounted(own, expectTokenVolume(own));
  });

  it("respects automountServiceAccountToken: false on the account, unless the pod says true", async () => {
    const ns = "adm-noauto-sa";
    await createNamespace(ns);
    await ensureServiceAccount(ns, "quiet", { automountServiceAccountToken: false });

    await kubectlOk(["apply", "-f", "-"], podManifest(ns, "p", { serviceAccountName: "quiet" }));
    const p = await getPod(ns, "p");
    expect(p.spec.serviceAccountName).toBe("quiet");
    expectNoToken(p);

    await kubectlOk(
      ["apply", "-f", "-"],
      podManifest(ns, "q", { serviceAccountName: "quiet", automountServiceAccountToken: true }),
    );
    const q = await getPod(ns, "q");
    expectMounted(q, expectTokenVolume(q));
  });

  it("respects automountServiceAccountToken: false on the pod", async () => {
    const ns = "adm-noauto-pod";
    await createNamespace(ns);
    await ensureServiceAccount(ns, "default");
    await kubectlOk(["apply", "-f", "-"], podManifest(ns, "p", { automountServiceAccountToken: false }));
    const p = await getPod(ns, "p");
    expect(p.spec.serviceAccountName).toBe("default");
    expect(p.spec.automountServiceAccountToken).toBe(false);
    expectNoToken(p);
  });

  it("refuses a pod naming a missing account with Kubernetes' 403 and stores nothing", async () => {
    const ns = "adm-missing";
    await createNamespace(ns);
    const res = await stack.kubectl(["apply", "-f", "-"], {
      input: podManifest(ns, "p", { serviceAccountName: "sa" }),
    });
    expect(res.code).toBe(1);
    expect(res.stdout).toBe("");
    expect(res.stderr).toBe(
      `Error from server (Forbidden): error when creating "STDIN": pods "p" is forbidden: error looking up service account ${ns}/sa: serviceaccount "sa" not found\n`,
    );
    const get = await stack.kubectl(["get", "pod", "p", "-n", ns]);
    expect(get.code).toBe(1);
    expect(get.stderr).toBe('Error from server (NotFound): pods "p" not found\n');
  });
});

describe("with the admission service stopped", () => {
  it("fails pod creation closed and succeeds again once it is back", async () => {
    const ns = "adm-down";
    await createNamespace(ns);
    await ensureServiceAccount(ns, "default");
    await stack.stop("admission");
    try {
      const res = await stack.kubectl(["apply", "-f", "-"], { input: podManifest(ns, "p") });
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(
        /^Error from server \(InternalError\): error when creating "STDIN": Internal error occurred: failed calling admission plugin "ServiceAccount": .+\n$/,
      );
      const get = await stack.kubectl(["get", "pod", "p", "-n", ns]);
      expect(get.stderr).toBe('Error from server (NotFound): pods "p" not found\n');
      // Other kinds do not go through the plugin.
      await ensureServiceAccount(ns, "still-writable");
    } finally {
      await stack.start("admission");
    }
    // The apiserver's channel reconnects with a back-off of at most 5 s.
    const deadline = Date.now() + 20_000;
    let last = "";
    for (;;) {
      const res = await stack.kubectl(["apply", "-f", "-"], { input: podManifest(ns, "p") });
      if (res.code === 0) {
        expect(res.stdout).toBe("pod/p created\n");
        break;
      }
      last = res.stderr;
      if (Date.now() > deadline) throw new Error(`pod creation still fails after restart: ${last}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const pod = await getPod(ns, "p");
    expect(pod.spec.serviceAccountName).toBe("default");
    expectMounted(pod, expectTokenVolume(pod));
  });
});
