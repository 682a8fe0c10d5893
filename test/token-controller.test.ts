/**
 * The token-controller end to end, with the real processes (nats-server, apiserver, admission,
 * token-controller) and the real kubectl: a `default` ServiceAccount and `kube-root-ca.crt` in
 * every new namespace, restored when deleted or changed (reference §4.1, §4.3); token Secrets
 * created with kubectl filled with a legacy token that authenticates (TokenReview, `kubectl
 * --token`) and removed with their ServiceAccount (§4.2, §9.4); a stop and restart of the
 * token-controller with changes made meanwhile converges with nothing missed and nothing written
 * twice; the work queue metrics; and the legacy token cleaner's four cases (§4.5).
 *
 * Times are measured from the moment kubectl's write returned to the moment the apiserver shows
 * the controller's result, by polling the HTTPS API every 10 ms as the administrator.
 *
 * The cleaner cannot be driven by a fake clock across processes: the stack runs it with
 * `--legacy-service-account-token-clean-up-period=2s` and
 * `--legacy-service-account-token-cleaner-sync-interval=500ms`, and because its rules compare
 * calendar dates (labels are `YYYY-MM-DD`), the passing of days is simulated by back-dating the
 * dates the cleaner reads: the tracking ConfigMap's `since`, a used token's last-used label, and
 * the invalid-since label the cleaner wrote (the driven-clock version is the unit test
 * services/token-controller/src/legacy-cleaner/legacy-token-cleaner.test.ts).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { createKeySet, parsePublicKeysPem, verifyToken } from "@tokenplane/crypto";
import { startTestStack, type TestStack } from "@tokenplane/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";

let stack: TestStack;
let agent: Agent;
let caPem: string;

const DESCRIPTION =
  "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";
const INVALID_SINCE = "kubernetes.io/legacy-token-invalid-since";
const LAST_USED = "kubernetes.io/legacy-token-last-used";

/** Convergence times measured, printed at the end (the report quotes them). */
const measured: Record<string, number> = {};

beforeAll(async () => {
  stack = await startTestStack({
    services: ["admission", "apiserver", "token-controller"],
    extraArgs: {
      "token-controller": [
        "--legacy-service-account-token-clean-up-period=2s",
        "--legacy-service-account-token-cleaner-sync-interval=500ms",
      ],
    },
  });
  caPem = readFileSync(stack.layout.ca.cert, "utf8");
  agent = new Agent({
    ca: caPem,
    cert: readFileSync(stack.layout.admin.cert),
    key: readFileSync(stack.layout.admin.key),
    keepAlive: true,
  });
}, 180_000);

afterAll(async () => {
  console.log(`token-controller convergence (ms): ${JSON.stringify(measured)}`);
  if (process.env.TC_DEBUG)
    console.log(
      stack
        .logs("token-controller")
        .filter((l) => l.includes("legacy") || l.includes("tc-clean"))
        .slice(-60)
        .join("\n"),
    );
  agent?.destroy();
  await stack?.close();
});

interface ObjectJson {
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    resourceVersion: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  data?: Record<string, string>;
  secrets?: Array<{ name: string }>;
  items?: ObjectJson[];
  [key: string]: unknown;
}

/** GET on the Kubernetes API as the administrator: the object, or undefined on 404. */
function get(urlPath: string): Promise<ObjectJson | undefined> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${stack.apiserverUrl}${urlPath}`,
      { agent, headers: { accept: "application/json" } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode === 404) resolve(undefined);
          else if (res.statusCode === 200) resolve(JSON.parse(body) as ObjectJson);
          else reject(new Error(`GET ${urlPath}: ${res.statusCode} ${body}`));
        });
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const saPath = (ns: string, name: string) => `/api/v1/namespaces/${ns}/serviceaccounts/${name}`;
const cmPath = (ns: string, name = "kube-root-ca.crt") => `/api/v1/namespaces/${ns}/configmaps/${name}`;
const secretPath = (ns: string, name: string) => `/api/v1/namespaces/${ns}/secrets/${name}`;
const b64 = (s: string | undefined) => Buffer.from(s ?? "", "base64").toString("utf8");

/** Polls `check` every 10 ms until it is true; resolves with the milliseconds it took. */
async function within(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** kubectl as the administrator; fails the test on a non-zero exit. */
async function k(args: string[], input?: string): Promise<string> {
  const r = await stack.kubectl(args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** A kubeconfig with the cluster CA only (no client certificate), so that `--token` is the identity. */
function tokenOnlyKubeconfig(): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "tokenplane-tc-")), "token.kubeconfig");
  writeFileSync(
    file,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: "tokenplane",
          cluster: {
            server: stack.apiserverUrl,
            "certificate-authority-data": Buffer.from(caPem).toString("base64"),
          },
        },
      ],
      users: [{ name: "anyone", user: {} }],
      contexts: [{ name: "anyone", context: { cluster: "tokenplane", user: "anyone" } }],
      "current-context": "anyone",
    }),
    { mode: 0o600 },
  );
  return file;
}

/** TokenReview through kubectl. */
async function tokenReview(token: string): Promise<{
  authenticated?: boolean;
  user?: { username: string; uid: string; groups: string[] };
  error?: string;
}> {
  const out = await k(
    ["create", "-f", "-", "-o", "json"],
    JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token } }),
  );
  return (JSON.parse(out) as { status: never }).status;
}

/** The manifest of a legacy token Secret for `sa` (reference §9.4). */
const tokenSecret = (name: string, sa: string) =>
  JSON.stringify({
    apiVersion: "v1",
    kind: "Secret",
    type: "kubernetes.io/service-account-token",
    metadata: { name, annotations: { "kubernetes.io/service-account.name": sa } },
  });

/** Creates a token Secret with kubectl and waits until the controller filled it; ms it took. */
async function createTokenSecret(
  ns: string,
  name: string,
  sa: string,
): Promise<{ ms: number; secret: ObjectJson }> {
  await k(["apply", "-n", ns, "-f", "-"], tokenSecret(name, sa));
  let secret: ObjectJson | undefined;
  const ms = await within(`${ns}/${name} filled`, 5_000, async () => {
    secret = await get(secretPath(ns, name));
    return (secret?.data?.token ?? "") !== "";
  });
  return { ms, secret: secret! };
}

describe("ServiceAccounts controller and root CA publisher (reference §4.1, §4.3)", () => {
  it("gives a new namespace `default` and `kube-root-ca.crt` within a second", async () => {
    await k(["create", "namespace", "tc-new"]);
    measured.newNamespace = await within("default and kube-root-ca.crt", 5_000, async () => {
      const [sa, cm] = await Promise.all([get(saPath("tc-new", "default")), get(cmPath("tc-new"))]);
      return sa !== undefined && cm !== undefined;
    });
    expect(measured.newNamespace).toBeLessThan(1_000);

    const sa = (await get(saPath("tc-new", "default")))!;
    // Exactly {metadata: {name, namespace}}: no secrets, no automount, no labels (reference §4.1).
    expect(sa.secrets).toBeUndefined();
    expect(sa.automountServiceAccountToken).toBeUndefined();
    expect(sa.metadata.labels).toBeUndefined();
    const cm = (await get(cmPath("tc-new")))!;
    expect(cm.data).toEqual({ "ca.crt": caPem });
    expect(cm.metadata.annotations).toEqual({ "kubernetes.io/description": DESCRIPTION });
  });

  it("recreates a deleted `default` with a new uid", async () => {
    const before = (await get(saPath("tc-new", "default")))!.metadata.uid;
    await k(["delete", "serviceaccount", "default", "-n", "tc-new"]);
    measured.defaultRecreated = await within("default recreated", 5_000, async () => {
      const sa = await get(saPath("tc-new", "default"));
      return sa !== undefined && sa.metadata.uid !== before;
    });
    expect(measured.defaultRecreated).toBeLessThan(1_000);
    const list = (await get("/api/v1/namespaces/tc-new/serviceaccounts"))!;
    expect(list.items?.map((i) => i.metadata.name)).toEqual(["default"]);
  });

  it("restores a deleted `kube-root-ca.crt`", async () => {
    const before = (await get(cmPath("tc-new")))!.metadata.uid;
    await k(["delete", "configmap", "kube-root-ca.crt", "-n", "tc-new"]);
    measured.configMapRestored = await within("kube-root-ca.crt restored", 5_000, async () => {
      const cm = await get(cmPath("tc-new"));
      return cm !== undefined && cm.metadata.uid !== before;
    });
    expect(measured.configMapRestored).toBeLessThan(1_000);
    expect((await get(cmPath("tc-new")))!.data).toEqual({ "ca.crt": caPem });
  });

  it("restores a changed `kube-root-ca.crt`: data replaced wholesale, description re-added, the rest kept", async () => {
    await k([
      "patch",
      "configmap",
      "kube-root-ca.crt",
      "-n",
      "tc-new",
      "--type=merge",
      "-p",
      JSON.stringify({
        metadata: { labels: { team: "a" }, annotations: { "kubernetes.io/description": null, mine: "kept" } },
        data: { "ca.crt": "tampered", extra: "x" },
      }),
    ]);
    measured.configMapRepaired = await within("kube-root-ca.crt repaired", 5_000, async () => {
      const cm = await get(cmPath("tc-new"));
      return cm?.data?.["ca.crt"] === caPem;
    });
    expect(measured.configMapRepaired).toBeLessThan(1_000);
    const cm = (await get(cmPath("tc-new")))!;
    expect(cm.data).toEqual({ "ca.crt": caPem });
    expect(cm.metadata.annotations).toEqual({ "kubernetes.io/description": DESCRIPTION, mine: "kept" });
    expect(cm.metadata.labels).toEqual({ team: "a" });
  });
});

describe("tokens controller (reference §4.2, §9.4)", () => {
  const ns = "tc-tokens";
  let token = "";
  let saUid = "";

  it("fills a token Secret created with kubectl within a second, once", async () => {
    await k(["create", "namespace", ns]);
    await k(["create", "serviceaccount", "ro", "-n", ns]);
    saUid = (await get(saPath(ns, "ro")))!.metadata.uid;
    const { ms, secret } = await createTokenSecret(ns, "ro-test-token", "ro");
    measured.tokenSecretFilled = ms;
    expect(ms).toBeLessThan(1_000);
    token = b64(secret.data?.token);
    expect(b64(secret.data?.["ca.crt"])).toBe(caPem);
    expect(b64(secret.data?.namespace)).toBe(ns);
    expect(secret.metadata.annotations).toEqual({
      "kubectl.kubernetes.io/last-applied-configuration": expect.any(String),
      "kubernetes.io/service-account.name": "ro",
      "kubernetes.io/service-account.uid": saUid,
    });
    // A legacy token (reference §1.2) signed with the cluster's service-account key.
    const keys = createKeySet(parsePublicKeysPem(readFileSync(stack.layout.serviceAccountPub)));
    const verified = verifyToken(token, keys);
    expect(verified.ok).toBe(true);
    if (!verified.ok) return;
    expect(verified.payload).toEqual({
      iss: "kubernetes/serviceaccount",
      sub: `system:serviceaccount:${ns}:ro`,
      "kubernetes.io/serviceaccount/namespace": ns,
      "kubernetes.io/serviceaccount/secret.name": "ro-test-token",
      "kubernetes.io/serviceaccount/service-account.name": "ro",
      "kubernetes.io/serviceaccount/service-account.uid": saUid,
    });
    // Written once: a second later (and before anyone used the token) it is unchanged.
    await new Promise((r) => setTimeout(r, 1_000));
    const later = (await get(secretPath(ns, "ro-test-token")))!;
    expect(later.metadata.resourceVersion).toBe(secret.metadata.resourceVersion);
  });

  it("the token authenticates: TokenReview and kubectl --token", async () => {
    const review = await tokenReview(token);
    expect(review.authenticated).toBe(true);
    expect(review.user?.username).toBe(`system:serviceaccount:${ns}:ro`);
    expect(review.user?.uid).toBe(saUid);
    expect(review.user?.groups).toEqual([
      "system:serviceaccounts",
      `system:serviceaccounts:${ns}`,
      "system:authenticated",
    ]);
    const whoami = await stack.kubectl(["auth", "whoami", "-o", "json", "--token", token], {
      kubeconfig: tokenOnlyKubeconfig(),
    });
    expect(whoami.stderr).toBe("");
    expect(
      (JSON.parse(whoami.stdout) as { status: { userInfo: { username: string } } }).status.userInfo.username,
    ).toBe(`system:serviceaccount:${ns}:ro`);
  });

  it("deleting the ServiceAccount removes its token Secret, and the token stops working", async () => {
    // A token Secret of another account stays.
    await k(["create", "serviceaccount", "rw", "-n", ns]);
    await createTokenSecret(ns, "rw-token", "rw");
    await k(["delete", "serviceaccount", "ro", "-n", ns]);
    measured.tokenSecretDeleted = await within("token Secret deleted", 5_000, async () => {
      return (await get(secretPath(ns, "ro-test-token"))) === undefined;
    });
    expect(measured.tokenSecretDeleted).toBeLessThan(1_000);
    expect(await get(secretPath(ns, "rw-token"))).toBeDefined();

    // The apiserver caches successful authentications for 10 s (Kubernetes' default, reference
    // §1.3): the token stops working once that entry expires.
    measured.tokenRejected = await within("token rejected", 15_000, async () => {
      return (await tokenReview(token)).authenticated === undefined;
    });
    const whoami = await stack.kubectl(["auth", "whoami", "--token", token], {
      kubeconfig: tokenOnlyKubeconfig(),
    });
    expect(whoami.code).toBe(1);
    expect(whoami.stderr).toBe("error: You must be logged in to the server (Unauthorized)\n");
  });

  it("deletes a token Secret whose ServiceAccount does not exist", async () => {
    await k(["apply", "-n", ns, "-f", "-"], tokenSecret("orphan-token", "nobody"));
    measured.orphanDeleted = await within("orphan token Secret deleted", 5_000, async () => {
      return (await get(secretPath(ns, "orphan-token"))) === undefined;
    });
    expect(measured.orphanDeleted).toBeLessThan(1_000);
  });
});

describe("stopping and starting the token-controller", () => {
  it("converges with nothing missed and nothing duplicated", async () => {
    const old = "tc-restart-old";
    await k(["create", "namespace", old]);
    await k(["create", "serviceaccount", "app", "-n", old]);
    await k(["create", "serviceaccount", "doomed", "-n", old]);
    const appToken = (await createTokenSecret(old, "app-token", "app")).secret;
    await createTokenSecret(old, "doomed-token", "doomed");
    await within("old namespace published", 5_000, async () => (await get(cmPath(old))) !== undefined);
    const oldDefault = (await get(saPath(old, "default")))!;
    const untouchedCm = (await get(cmPath("tc-new")))!;
    const untouchedSa = (await get(saPath("tc-new", "default")))!;

    await stack.stop("token-controller");
    const fresh = ["tc-restart-1", "tc-restart-2", "tc-restart-3", "tc-restart-4", "tc-restart-5"];
    for (const ns of fresh) await k(["create", "namespace", ns]);
    await k(["delete", "serviceaccount", "default", "-n", old]);
    await k(["delete", "configmap", "kube-root-ca.crt", "-n", old]);
    await k(["apply", "-n", old, "-f", "-"], tokenSecret("late-token", "app"));
    await k(["delete", "serviceaccount", "doomed", "-n", old]);
    // Nothing happens while it is away.
    await new Promise((r) => setTimeout(r, 500));
    expect(await get(saPath("tc-restart-1", "default"))).toBeUndefined();
    expect((await get(secretPath(old, "late-token")))?.data).toBeUndefined();

    const startedAt = Date.now();
    await stack.start("token-controller");
    measured.restartHealthy = Date.now() - startedAt;
    measured.restartConverged = await within("convergence after restart", 10_000, async () => {
      const checks = await Promise.all([
        ...fresh.flatMap((ns) => [get(saPath(ns, "default")), get(cmPath(ns))]),
        get(saPath(old, "default")),
        get(cmPath(old)),
      ]);
      const late = await get(secretPath(old, "late-token"));
      const doomed = await get(secretPath(old, "doomed-token"));
      return checks.every((o) => o !== undefined) && (late?.data?.token ?? "") !== "" && doomed === undefined;
    });
    measured.restartConverged += measured.restartHealthy;

    // Nothing duplicated: one ServiceAccount per fresh namespace, `default` recreated once (new
    // uid) where it was deleted, and what was right before the restart was not written again.
    for (const ns of fresh) {
      const sas = (await get(`/api/v1/namespaces/${ns}/serviceaccounts`))!;
      expect(sas.items?.map((i) => i.metadata.name)).toEqual(["default"]);
      const cms = (await get(`/api/v1/namespaces/${ns}/configmaps`))!;
      expect(cms.items?.map((i) => i.metadata.name)).toEqual(["kube-root-ca.crt"]);
    }
    expect((await get(saPath(old, "default")))!.metadata.uid).not.toBe(oldDefault.metadata.uid);
    expect((await get(secretPath(old, "app-token")))!.metadata.resourceVersion).toBe(
      appToken.metadata.resourceVersion,
    );
    expect((await get(cmPath("tc-new")))!.metadata.resourceVersion).toBe(
      untouchedCm.metadata.resourceVersion,
    );
    expect((await get(saPath("tc-new", "default")))!.metadata.uid).toBe(untouchedSa.metadata.uid);
    const late = (await get(secretPath(old, "late-token")))!;
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await get(secretPath(old, "late-token")))!.metadata.resourceVersion).toBe(
      late.metadata.resourceVersion,
    );

    // The controller's own account of its writes: each create and fill exactly once over both runs.
    const lines = stack.logs("token-controller").flatMap((l) => {
      try {
        return [JSON.parse(l) as { msg?: string; secret?: string }];
      } catch {
        return [];
      }
    });
    for (const ns of fresh) {
      expect(lines.filter((l) => l.msg === `create serviceaccounts ${ns}/default`).length).toBe(1);
      expect(lines.filter((l) => l.msg === `create configmaps ${ns}/kube-root-ca.crt`).length).toBe(1);
    }
    const fills = lines.filter((l) => l.msg === "populated service account token secret");
    expect(fills.filter((l) => l.secret === "late-token").length).toBe(1);
    expect(fills.filter((l) => l.secret === "app-token").length).toBe(1);
  });
});

describe("identity", () => {
  it("calls the apiserver as system:kube-controller-manager, which RBAC allows only what the controllers need", async () => {
    const own = stack.layout.components["token-controller"];
    const file = path.join(mkdtempSync(path.join(tmpdir(), "tokenplane-tc-")), "kcm.kubeconfig");
    writeFileSync(
      file,
      stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          {
            name: "tokenplane",
            cluster: { server: stack.apiserverUrl, "certificate-authority": stack.layout.ca.cert },
          },
        ],
        users: [{ name: "kcm", user: { "client-certificate": own.cert, "client-key": own.key } }],
        contexts: [{ name: "kcm", context: { cluster: "tokenplane", user: "kcm" } }],
        "current-context": "kcm",
      }),
      { mode: 0o600 },
    );
    const whoami = await stack.kubectl(["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"], {
      kubeconfig: file,
    });
    expect(whoami.stdout).toBe("system:kube-controller-manager");
    const can = async (...args: string[]) =>
      (await stack.kubectl(["auth", "can-i", ...args], { kubeconfig: file })).stdout.trim();
    expect(await can("create", "serviceaccounts", "-A")).toBe("yes");
    expect(await can("delete", "secrets", "-A")).toBe("yes");
    expect(await can("update", "configmaps", "-A")).toBe("yes");
    expect(await can("list", "pods", "-A")).toBe("yes");
    expect(await can("watch", "namespaces")).toBe("yes");
    expect(await can("delete", "pods", "-A")).toBe("no");
    expect(await can("create", "clusterroles")).toBe("no");
  });
});

describe("metrics", () => {
  it("exports work queue depth, work duration and retries per queue", async () => {
    const res = await fetch(`http://127.0.0.1:${stack.ports["token-controller"].metrics}/metrics`);
    const text = await res.text();
    /** The value of `metric` for queue `name` (labels in any order), or undefined. */
    const value = (metric: string, queue: string): number | undefined => {
      const line = text
        .split("\n")
        .find(
          (l) =>
            l.startsWith(`${metric}{`) &&
            l.includes(`name="${queue}"`) &&
            l.includes('service="token-controller"'),
        );
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
    };
    for (const queue of [
      "serviceaccount",
      "root_ca_cert_publisher",
      "serviceaccount_tokens_service",
      "serviceaccount_tokens_secret",
    ]) {
      expect(value("workqueue_depth", queue)).toBe(0);
      expect(value("workqueue_adds_total", queue)).toBeGreaterThan(0);
      expect(value("workqueue_work_duration_seconds_count", queue)).toBeGreaterThan(0);
      expect(value("workqueue_queue_duration_seconds_count", queue)).toBeGreaterThan(0);
      expect(value("workqueue_retries_total", queue)).toBeGreaterThanOrEqual(0);
      expect(value("workqueue_unfinished_work_seconds", queue)).toBeGreaterThanOrEqual(0);
    }
    expect(text).toMatch(
      /^tokenplane_informer_events_total\{[^}]*resource="secrets"[^}]*result="applied"[^}]*\} [1-9]/m,
    );
  });
});

describe("legacy token cleaner (reference §4.5)", () => {
  const cases = [
    {
      ns: "tc-clean-1",
      what: "auto token, used, not mounted",
      used: true,
      manual: false,
      mounted: false,
      cleaned: true,
    },
    { ns: "tc-clean-2", what: "manual token", used: true, manual: true, mounted: false, cleaned: false },
    {
      ns: "tc-clean-3",
      what: "auto token mounted by a pod",
      used: true,
      manual: false,
      mounted: true,
      cleaned: false,
    },
    {
      ns: "tc-clean-4",
      what: "auto token never used",
      used: false,
      manual: false,
      mounted: false,
      cleaned: true,
    },
  ];
  const tokens = new Map<string, string>();

  it("labels unused auto-generated tokens invalid, then deletes them; manual and mounted ones are never touched", async () => {
    for (const c of cases) {
      await k(["create", "namespace", c.ns]);
      await within(`${c.ns}/default`, 5_000, async () => (await get(saPath(c.ns, "default"))) !== undefined);
      const { secret } = await createTokenSecret(c.ns, "token", "default");
      tokens.set(c.ns, b64(secret.data?.token));
      if (!c.manual) {
        // An auto-generated token is one listed in its ServiceAccount's secrets.
        await k([
          "patch",
          "serviceaccount",
          "default",
          "-n",
          c.ns,
          "--type=merge",
          "-p",
          '{"secrets":[{"name":"token"}]}',
        ]);
      }
      if (c.mounted) {
        await k(
          ["apply", "-n", c.ns, "-f", "-"],
          JSON.stringify({
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "mounter" },
            spec: {
              containers: [{ name: "c", image: "busybox", volumeMounts: [{ name: "t", mountPath: "/t" }] }],
              volumes: [{ name: "t", secret: { secretName: "token" } }],
            },
          }),
        );
      }
      if (c.used) {
        expect((await tokenReview(tokens.get(c.ns)!)).authenticated).toBe(true);
        // The apiserver records the use (reference §1.6); the test then pretends it was long ago.
        await within(`${c.ns} last-used label`, 5_000, async () => {
          return (await get(secretPath(c.ns, "token")))?.metadata.labels?.[LAST_USED] !== undefined;
        });
        await k(["label", "secret", "token", "-n", c.ns, "--overwrite", `${LAST_USED}=2020-01-01`]);
      }
    }
    // Tracking started long ago (the apiserver wrote today's date; a parsable date is kept).
    await k([
      "patch",
      "configmap",
      "kube-apiserver-legacy-service-account-token-tracking",
      "-n",
      "kube-system",
      "--type=merge",
      "-p",
      '{"data":{"since":"2020-01-01"}}',
    ]);
    const today = new Date().toISOString().slice(0, 10);
    const labels = async () =>
      Object.fromEntries(
        await Promise.all(
          cases.map(async (c) => {
            const s = await get(secretPath(c.ns, "token"));
            return [
              c.ns,
              s === undefined ? "deleted" : (s.metadata.labels?.[INVALID_SINCE] ?? "valid"),
            ] as const;
          }),
        ),
      );
    // The Secrets are older than the 2 s period by now (or soon): the cleaner labels the two
    // unused auto-generated tokens invalid since today.
    measured.cleanerLabelled = await within("invalid-since labels", 10_000, async () => {
      const l = await labels();
      return l["tc-clean-1"] === today && l["tc-clean-4"] === today;
    });
    expect(await labels()).toEqual({
      "tc-clean-1": today,
      "tc-clean-2": "valid",
      "tc-clean-3": "valid",
      "tc-clean-4": today,
    });

    // While labelled invalid, the token fails authentication (reference §1.6; this one was never
    // used, so no cached success hides it), and the attempt counts as a use.
    const review = await tokenReview(tokens.get("tc-clean-4")!);
    expect(review.authenticated).toBeUndefined();
    expect(review.error).toContain(
      "the token in secret tc-clean-4/token for service account tc-clean-4/default has been marked invalid",
    );
    await within("last-used label of the invalid token", 5_000, async () => {
      return (await get(secretPath("tc-clean-4", "token")))?.metadata.labels?.[LAST_USED] === today;
    });

    // One clean-up period later (dates back-dated, see the file comment) they are deleted.
    await k(["label", "secret", "token", "-n", "tc-clean-1", "--overwrite", `${INVALID_SINCE}=2020-01-02`]);
    await k([
      "label",
      "secret",
      "token",
      "-n",
      "tc-clean-4",
      "--overwrite",
      `${INVALID_SINCE}=2020-01-02`,
      `${LAST_USED}=2020-01-02`,
    ]);
    measured.cleanerDeleted = await within("invalid tokens deleted", 10_000, async () => {
      const l = await labels();
      return l["tc-clean-1"] === "deleted" && l["tc-clean-4"] === "deleted";
    });
    // Several more runs leave the manual and the mounted token alone, and they still work.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await labels()).toEqual({
      "tc-clean-1": "deleted",
      "tc-clean-2": "valid",
      "tc-clean-3": "valid",
      "tc-clean-4": "deleted",
    });
    expect((await tokenReview(tokens.get("tc-clean-2")!)).authenticated).toBe(true);
    expect((await tokenReview(tokens.get("tc-clean-3")!)).authenticated).toBe(true);
  });
});
