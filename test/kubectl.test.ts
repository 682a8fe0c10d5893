/**
 * The Kubernetes task "Configure Service Accounts for Pods", step by step with the real kubectl
 * (1.32) against a started stack: listing service accounts (the SECRETS column of the server's
 * Table), `apply -f` with default validation, `-o yaml`, `create token` (duration, audiences,
 * bound to a Pod, Secret or Node), a token Secret and `describe secret`, imagePullSecrets on the
 * default service account, `edit` and `replace`, `delete`, `auth whoami` / `auth can-i` as the
 * administrator and as a service account (`--token`), the issuer's OIDC documents and
 * `get -w`.
 *
 * The token Secret's data and the default service account come from the token-controller, and
 * imagePullSecrets reach pods through the admission service; both are built concurrently with
 * the API, so the assertions that need them depend on the service running in the stack.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { kubectlBinary, startTestStack, type TestStack } from "@tokenplane/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";

const ns = "sa-flows";
let stack: TestStack;

/** True when `name` runs in the stack. */
function runs(name: Parameters<TestStack["process"]>[0]): boolean {
  try {
    return stack.process(name).running();
  } catch {
    return false;
  }
}

/** A kubeconfig with the cluster CA and no client certificate; with a token when given. */
function writeKubeconfig(name: string, token?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "tokenplane-kubeconfig-"));
  const file = path.join(dir, `${name}.kubeconfig`);
  const ca = readFileSync(stack.layout.ca.cert).toString("base64");
  writeFileSync(
    file,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        { name: "tokenplane", cluster: { server: stack.apiserverUrl, "certificate-authority-data": ca } },
      ],
      users: [{ name, user: token ? { token } : {} }],
      contexts: [{ name, context: { cluster: "tokenplane", user: name, namespace: ns } }],
      "current-context": name,
    }),
    { mode: 0o600 },
  );
  return file;
}

/** The claims of a JWT (the apiserver verifies it; the test only reads it). */
function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.trim().split(".")[1] ?? "", "base64url").toString("utf8")) as Record<
    string,
    unknown
  >;
}

/** kubectl as the administrator; fails the test on a non-zero exit. */
async function k(args: string[], input?: string): Promise<string> {
  const r = await stack.kubectl(args, input !== undefined ? { input } : {});
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Polls `fn` until it returns a truthy value. */
async function eventually<T>(
  fn: () => Promise<T | undefined | false | "">,
  what: string,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

beforeAll(async () => {
  stack = await startTestStack();
  await k(["create", "namespace", ns]);
});

afterAll(async () => {
  await stack?.close();
});

describe("kubectl: Configure Service Accounts for Pods", () => {
  it("reports the server version and the discovery of service accounts", async () => {
    const version = JSON.parse(await k(["version", "-o", "json"])) as {
      serverVersion: Record<string, string>;
    };
    expect(version.serverVersion.gitVersion).toBe("v1.32.0-tokenplane");
    expect(version.serverVersion.minor).toBe("32");
    const resources = await k(["api-resources", "--api-group="]);
    expect(resources).toMatch(/^serviceaccounts\s+sa\s+v1\s+true\s+ServiceAccount$/m);
    expect(resources).toMatch(/^secrets\s+v1\s+true\s+Secret$/m);
  });

  it("lists service accounts with the server's NAME SECRETS AGE columns", async () => {
    if (runs("token-controller")) {
      // the service accounts controller creates `default` in every namespace (reference §4.1)
      await eventually(
        async () => (await stack.kubectl(["get", "sa", "default", "-n", ns])).code === 0,
        "default SA",
      );
    } else {
      await k(["create", "serviceaccount", "default", "-n", ns]);
    }
    const out = await k(["get", "serviceaccounts", "-n", ns]);
    const lines = out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+SECRETS\s+AGE$/);
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^default\s+0\s+\d+s$/)]);
    // the short name and -A (all namespaces) add the NAMESPACE column
    const all = await k(["get", "sa", "-A"]);
    expect(all.split("\n")[0]).toMatch(/^NAMESPACE\s+NAME\s+SECRETS\s+AGE$/);
    expect(all).toMatch(new RegExp(`^${ns}\\s+default\\s+0\\s+`, "m"));
  });

  it("applies a ServiceAccount manifest with default (strict, server-side) validation", async () => {
    const manifest = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: build-robot\n";
    expect(await k(["apply", "-n", ns, "-f", "-"], manifest)).toBe("serviceaccount/build-robot created\n");
    expect(await k(["apply", "-n", ns, "-f", "-"], manifest)).toBe("serviceaccount/build-robot unchanged\n");
    const changed = `${manifest}automountServiceAccountToken: false\n`;
    expect(await k(["apply", "-n", ns, "-f", "-"], changed)).toBe("serviceaccount/build-robot configured\n");
    // an unknown field is refused by the server (kubectl leaves validation to it)
    const bad = await stack.kubectl(["apply", "-n", ns, "-f", "-"], {
      input:
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: typo-robot\nautomountServiceAccountTokens: true\n",
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      'Error from server (BadRequest): error when creating "STDIN": ServiceAccount in version "v1" cannot be handled as a ServiceAccount: strict decoding error: unknown field "automountServiceAccountTokens"',
    );
  });

  it("shows the stored object with -o yaml (uid, resourceVersion, creationTimestamp)", async () => {
    const sa = parse(await k(["get", "serviceaccounts/build-robot", "-n", ns, "-o", "yaml"])) as {
      apiVersion: string;
      kind: string;
      metadata: Record<string, unknown> & { annotations: Record<string, string> };
      automountServiceAccountToken: boolean;
    };
    expect(sa.apiVersion).toBe("v1");
    expect(sa.kind).toBe("ServiceAccount");
    expect(sa.metadata.name).toBe("build-robot");
    expect(sa.metadata.namespace).toBe(ns);
    expect(sa.metadata.uid).toMatch(uuid);
    expect(sa.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(sa.metadata.creationTimestamp).toMatch(rfc3339);
    expect(sa.automountServiceAccountToken).toBe(false);
    expect(JSON.parse(sa.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]!)).toEqual({
      apiVersion: "v1",
      automountServiceAccountToken: false,
      kind: "ServiceAccount",
      metadata: { annotations: {}, name: "build-robot", namespace: ns },
    });
  });

  it("creates tokens: default lifetime, --duration and --audience", async () => {
    const issuer = stack.apiserverUrl;
    const token = await k(["create", "token", "build-robot", "-n", ns]);
    const claims = jwtPayload(token);
    expect(claims.iss).toBe(issuer);
    expect(claims.sub).toBe(`system:serviceaccount:${ns}:build-robot`);
    expect(claims.aud).toEqual([issuer]);
    expect(Number(claims.exp) - Number(claims.iat)).toBe(3600);
    expect((claims["kubernetes.io"] as Record<string, unknown>).namespace).toBe(ns);

    const short = jwtPayload(await k(["create", "token", "build-robot", "-n", ns, "--duration", "10m"]));
    expect(Number(short.exp) - Number(short.iat)).toBe(600);
    const aud = jwtPayload(await k(["create", "token", "build-robot", "-n", ns, "--audience", "vault"]));
    expect(aud.aud).toEqual(["vault"]);

    const tooShort = await stack.kubectl(["create", "token", "build-robot", "-n", ns, "--duration", "5m"]);
    expect(tooShort.code).toBe(1);
    // the Invalid message names no object: validation runs before the name is filled in (reference §2.2 step 8)
    expect(tooShort.stderr).toBe(
      'error: failed to create token: TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes\n',
    );
    const missing = await stack.kubectl(["create", "token", "nobody", "-n", ns]);
    expect(missing.stderr).toBe('error: failed to create token: serviceaccounts "nobody" not found\n');
  });

  it("binds tokens to a Secret, a Node and a Pod", async () => {
    expect(await k(["create", "secret", "generic", "bound-secret", "-n", ns, "--from-literal=a=b"])).toBe(
      "secret/bound-secret created\n",
    );
    const secretUid = await k(["get", "secret", "bound-secret", "-n", ns, "-o", "jsonpath={.metadata.uid}"]);
    const bySecret = jwtPayload(
      await k([
        "create",
        "token",
        "build-robot",
        "-n",
        ns,
        "--bound-object-kind",
        "Secret",
        "--bound-object-name",
        "bound-secret",
        "--bound-object-uid",
        secretUid,
      ]),
    );
    expect((bySecret["kubernetes.io"] as Record<string, unknown>).secret).toEqual({
      name: "bound-secret",
      uid: secretUid,
    });

    await k(["apply", "-f", "-"], "apiVersion: v1\nkind: Node\nmetadata:\n  name: bound-node\n");
    const nodeUid = await k(["get", "node", "bound-node", "-o", "jsonpath={.metadata.uid}"]);
    const byNode = jwtPayload(
      await k([
        "create",
        "token",
        "build-robot",
        "-n",
        ns,
        "--bound-object-kind",
        "Node",
        "--bound-object-name",
        "bound-node",
      ]),
    );
    expect((byNode["kubernetes.io"] as Record<string, unknown>).node).toEqual({
      name: "bound-node",
      uid: nodeUid,
    });

    const wrongUid = await stack.kubectl([
      "create",
      "token",
      "build-robot",
      "-n",
      ns,
      "--bound-object-kind",
      "Secret",
      "--bound-object-name",
      "bound-secret",
      "--bound-object-uid",
      "00000000-0000-4000-8000-000000000000",
    ]);
    expect(wrongUid.code).toBe(1);
    expect(wrongUid.stderr).toBe(
      'error: failed to create token: Operation cannot be fulfilled on Secret "bound-secret": the UID in the bound object reference (00000000-0000-4000-8000-000000000000) does not match the UID in record. The object might have been deleted and then recreated\n',
    );

    if (!runs("admission")) return; // pods are admitted by the admission service (fails closed without it)
    const pod = [
      "apiVersion: v1",
      "kind: Pod",
      "metadata:",
      "  name: bound-pod",
      "spec:",
      "  serviceAccountName: build-robot",
      "  containers:",
      "  - name: app",
      "    image: registry.example/app:1.0",
      "",
    ].join("\n");
    expect(await k(["apply", "-n", ns, "-f", "-"], pod)).toBe("pod/bound-pod created\n");
    const podUid = await k(["get", "pod", "bound-pod", "-n", ns, "-o", "jsonpath={.metadata.uid}"]);
    const byPod = jwtPayload(
      await k([
        "create",
        "token",
        "build-robot",
        "-n",
        ns,
        "--bound-object-kind",
        "Pod",
        "--bound-object-name",
        "bound-pod",
        "--bound-object-uid",
        podUid,
      ]),
    );
    expect((byPod["kubernetes.io"] as Record<string, unknown>).pod).toEqual({
      name: "bound-pod",
      uid: podUid,
    });
  });

  it("creates a token Secret for a service account and describes it", async () => {
    const manifest = [
      "apiVersion: v1",
      "kind: Secret",
      "metadata:",
      "  name: build-robot-secret",
      "  annotations:",
      "    kubernetes.io/service-account.name: build-robot",
      "type: kubernetes.io/service-account-token",
      "",
    ].join("\n");
    expect(await k(["apply", "-n", ns, "-f", "-"], manifest)).toBe("secret/build-robot-secret created\n");
    if (runs("token-controller")) {
      // the tokens controller fills token, ca.crt and namespace (reference §4.2)
      await eventually(
        async () => k(["get", "secret", "build-robot-secret", "-n", ns, "-o", "jsonpath={.data.token}"]),
        "the token controller to fill the Secret",
      );
    }
    const described = await k(["describe", "secret", "build-robot-secret", "-n", ns]);
    expect(described).toMatch(/^Name:\s+build-robot-secret$/m);
    expect(described).toMatch(new RegExp(`^Namespace:\\s+${ns}$`, "m"));
    expect(described).toMatch(/kubernetes\.io\/service-account\.name: build-robot/);
    expect(described).toMatch(/^Type:\s+kubernetes\.io\/service-account-token$/m);
    if (runs("token-controller")) {
      expect(described).toMatch(/^ca\.crt:\s+\d+ bytes$/m);
      expect(described).toMatch(new RegExp(`^namespace:\\s+${ns.length} bytes$`, "m"));
      const token = /^token:\s+(\S+)$/m.exec(described)?.[1] ?? "";
      expect(jwtPayload(token).sub).toBe(`system:serviceaccount:${ns}:build-robot`);
    }
  });

  it("adds imagePullSecrets to the default service account with kubectl patch", async () => {
    expect(
      await k([
        "create",
        "secret",
        "docker-registry",
        "myregistrykey",
        "-n",
        ns,
        "--docker-server=registry.example",
        "--docker-username=robot",
        "--docker-password=not-a-real-password",
      ]),
    ).toBe("secret/myregistrykey created\n");
    expect(
      await k([
        "patch",
        "serviceaccount",
        "default",
        "-n",
        ns,
        "-p",
        '{"imagePullSecrets": [{"name": "myregistrykey"}]}',
      ]),
    ).toBe("serviceaccount/default patched\n");
    const sa = parse(await k(["get", "serviceaccount", "default", "-n", ns, "-o", "yaml"])) as {
      imagePullSecrets: { name: string }[];
    };
    expect(sa.imagePullSecrets).toEqual([{ name: "myregistrykey" }]);
    // the other patch types
    expect(
      await k([
        "patch",
        "sa",
        "default",
        "-n",
        ns,
        "--type",
        "merge",
        "-p",
        '{"metadata":{"labels":{"team":"a"}}}',
      ]),
    ).toBe("serviceaccount/default patched\n");
    expect(
      await k([
        "patch",
        "sa",
        "default",
        "-n",
        ns,
        "--type",
        "json",
        "-p",
        '[{"op":"replace","path":"/metadata/labels/team","value":"b"}]',
      ]),
    ).toBe("serviceaccount/default patched\n");
    expect(await k(["get", "sa", "default", "-n", ns, "-o", "jsonpath={.metadata.labels.team}"])).toBe("b");

    if (!runs("admission")) return;
    // a new pod of the default service account gets its imagePullSecrets (reference §3.1)
    const pod =
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: pulls\nspec:\n  containers:\n  - name: app\n    image: registry.example/app:1.0\n";
    await k(["apply", "-n", ns, "-f", "-"], pod);
    expect(
      await k(["get", "pod", "pulls", "-n", ns, "-o", "jsonpath={.spec.imagePullSecrets[0].name}"]),
    ).toBe("myregistrykey");
    expect(await k(["get", "pod", "pulls", "-n", ns, "-o", "jsonpath={.spec.serviceAccountName}"])).toBe(
      "default",
    );
  });

  it("updates with kubectl edit and kubectl replace", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tokenplane-editor-"));
    const editor = path.join(dir, "editor.mjs");
    writeFileSync(
      editor,
      [
        'import { readFileSync, writeFileSync } from "node:fs";',
        "const file = process.argv[2];",
        'const text = readFileSync(file, "utf8");',
        'writeFileSync(file, text.replace(/^metadata:\\n/m, "metadata:\\n  labels:\\n    edited: \\"yes\\"\\n"));',
        "",
      ].join("\n"),
    );
    const previous = process.env.KUBE_EDITOR;
    process.env.KUBE_EDITOR = `${process.execPath} ${editor}`;
    try {
      expect(await k(["edit", "serviceaccount", "build-robot", "-n", ns])).toBe(
        "serviceaccount/build-robot edited\n",
      );
    } finally {
      if (previous === undefined) delete process.env.KUBE_EDITOR;
      else process.env.KUBE_EDITOR = previous;
    }
    expect(await k(["get", "sa", "build-robot", "-n", ns, "-o", "jsonpath={.metadata.labels.edited}"])).toBe(
      "yes",
    );

    const current = parse(await k(["get", "sa", "build-robot", "-n", ns, "-o", "yaml"])) as {
      metadata: { labels: Record<string, string>; resourceVersion: string };
    };
    current.metadata.labels.replaced = "true";
    expect(await k(["replace", "-f", "-"], JSON.stringify(current))).toBe(
      "serviceaccount/build-robot replaced\n",
    );
    // a stale resourceVersion is a conflict
    const stale = await stack.kubectl(["replace", "-f", "-"], { input: JSON.stringify(current) });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain(
      'Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on serviceaccounts "build-robot": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it("answers auth whoami for the administrator's certificate and a service account token", async () => {
    const admin = await k(["auth", "whoami"]);
    expect(admin).toMatch(/^Username\s+kubernetes-admin$/m);
    expect(admin).toMatch(/^Groups\s+\[system:masters system:authenticated\]$/m);

    const token = (await k(["create", "token", "build-robot", "-n", ns])).trim();
    const kubeconfig = writeKubeconfig("no-credentials");
    const r = await stack.kubectl(["auth", "whoami", "--token", token], { kubeconfig });
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(new RegExp(`^Username\\s+system:serviceaccount:${ns}:build-robot$`, "m"));
    expect(r.stdout).toMatch(/^UID\s+[0-9a-f-]{36}$/m);
    expect(r.stdout).toMatch(
      new RegExp(
        `^Groups\\s+\\[system:serviceaccounts system:serviceaccounts:${ns} system:authenticated\\]$`,
        "m",
      ),
    );
    expect(r.stdout).toMatch(
      /^Extra: authentication\.kubernetes\.io\/credential-id\s+\[JTI=[0-9a-f-]{36}\]$/m,
    );

    const json = JSON.parse(
      (await stack.kubectl(["auth", "whoami", "--token", token, "-o", "json"], { kubeconfig })).stdout,
    ) as { kind: string; apiVersion: string; status: { userInfo: { username: string } } };
    expect(json.kind).toBe("SelfSubjectReview");
    expect(json.apiVersion).toBe("authentication.k8s.io/v1");
    expect(json.status.userInfo.username).toBe(`system:serviceaccount:${ns}:build-robot`);

    const bad = await stack.kubectl(["auth", "whoami", "--token", "not-a-token"], { kubeconfig });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("error: You must be logged in to the server (Unauthorized)");
  });

  it("answers auth can-i as a service account", async () => {
    const token = (await k(["create", "token", "build-robot", "-n", ns])).trim();
    const kubeconfig = writeKubeconfig("build-robot", token);
    const before = await stack.kubectl(["auth", "can-i", "list", "secrets", "-n", ns], { kubeconfig });
    expect(before.stdout).toBe("no\n");
    expect(before.code).toBe(1);
    // the administrator asking on the service account's behalf (impersonation)
    const asSa = `--as=system:serviceaccount:${ns}:build-robot`;
    expect((await stack.kubectl(["auth", "can-i", "list", "secrets", "-n", ns, asSa])).stdout).toBe("no\n");

    await k(["create", "role", "secret-reader", "-n", ns, "--verb=get,list", "--resource=secrets"]);
    await k([
      "create",
      "rolebinding",
      "build-robot-reads",
      "-n",
      ns,
      "--role=secret-reader",
      `--serviceaccount=${ns}:build-robot`,
    ]);
    const after = await stack.kubectl(["auth", "can-i", "list", "secrets", "-n", ns], { kubeconfig });
    expect(after.stdout).toBe("yes\n");
    expect(after.code).toBe(0);
    expect(await k(["auth", "can-i", "list", "secrets", "-n", ns, asSa])).toBe("yes\n");
    const whoami = await k(["auth", "whoami", asSa]);
    expect(whoami).toMatch(new RegExp(`^Username\\s+system:serviceaccount:${ns}:build-robot$`, "m"));
    expect(whoami).toMatch(
      new RegExp(
        `^Groups\\s+\\[system:serviceaccounts system:serviceaccounts:${ns} system:authenticated\\]$`,
        "m",
      ),
    );
    // a service account may not impersonate others
    const escalate = await stack.kubectl(["get", "pods", "-n", ns, "--as=kubernetes-admin"], { kubeconfig });
    expect(escalate.stderr).toContain(
      `Error from server (Forbidden): users "kubernetes-admin" is forbidden: User "system:serviceaccount:${ns}:build-robot" cannot impersonate resource "users" in API group "" at the cluster scope`,
    );
    const other = await stack.kubectl(["auth", "can-i", "delete", "secrets", "-n", ns], { kubeconfig });
    expect(other.stdout).toBe("no\n");
    // and the service account really can list them now
    const list = await stack.kubectl(["get", "secrets", "-n", ns, "-o", "name"], { kubeconfig });
    expect(list.stdout).toContain("secret/bound-secret\n");
    const forbidden = await stack.kubectl(["get", "pods", "-n", ns], { kubeconfig });
    expect(forbidden.stderr).toContain(
      `Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:${ns}:build-robot" cannot list resource "pods" in API group "" in the namespace "${ns}"`,
    );
    // the rules review behind `auth can-i --list`
    const rules = await stack.kubectl(["auth", "can-i", "--list", "-n", ns], { kubeconfig });
    expect(rules.stdout).toMatch(/^secrets\s+\[\]\s+\[\]\s+\[get list\]$/m);
  });

  it("serves the issuer's OpenID discovery document and JWKS through get --raw", async () => {
    const config = JSON.parse(await k(["get", "--raw", "/.well-known/openid-configuration"])) as Record<
      string,
      unknown
    >;
    expect(config).toEqual({
      issuer: stack.apiserverUrl,
      jwks_uri: `${stack.apiserverUrl}/openid/v1/jwks`,
      response_types_supported: ["id_token"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
    });
    const jwks = JSON.parse(await k(["get", "--raw", "/openid/v1/jwks"])) as {
      keys: Record<string, string>[];
    };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ use: "sig", kty: "RSA", alg: "RS256", e: "AQAB" });
    // service accounts may read them (system:service-account-issuer-discovery, reference §6.4)
    const token = (await k(["create", "token", "build-robot", "-n", ns])).trim();
    expect(jwtPayload(token).iss).toBe(config.issuer);
    const asSa = await stack.kubectl(["get", "--raw", "/openid/v1/jwks", "--token", token], {
      kubeconfig: writeKubeconfig("sa-raw"),
    });
    expect(JSON.parse(asSa.stdout)).toEqual(jwks);
  });

  it("applies server-side and explains the kinds from the OpenAPI documents", async () => {
    const cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: a\n";
    expect(await k(["apply", "--server-side", "-n", ns, "-f", "-"], cm)).toBe(
      "configmap/settings serverside-applied\n",
    );
    expect(await k(["apply", "--server-side", "-n", ns, "-f", "-"], cm.replace("mode: a", "mode: b"))).toBe(
      "configmap/settings serverside-applied\n",
    );
    expect(await k(["get", "configmap", "settings", "-n", ns, "-o", "jsonpath={.data.mode}"])).toBe("b");

    const explained = await k(["explain", "serviceaccount.imagePullSecrets"]);
    expect(explained).toMatch(/^KIND:\s+ServiceAccount$/m);
    expect(explained).toMatch(/^VERSION:\s+v1$/m);
    expect(explained).toMatch(/^FIELD: imagePullSecrets <\[\]LocalObjectReference>$/m);
  });

  it("reviews a service account token with kubectl create -f TokenReview", async () => {
    const token = (await k(["create", "token", "build-robot", "-n", ns])).trim();
    const review = JSON.parse(
      await k(
        ["create", "-o", "json", "-f", "-"],
        JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token } }),
      ),
    ) as { status: { authenticated: boolean; user: { username: string }; audiences: string[] } };
    expect(review.status.authenticated).toBe(true);
    expect(review.status.user.username).toBe(`system:serviceaccount:${ns}:build-robot`);
    expect(review.status.audiences).toEqual([stack.apiserverUrl]);
  });

  it("follows changes with get -w", async () => {
    const watch = startWatch(["get", "serviceaccounts", "-n", ns, "-w"]);
    try {
      await watch.waitFor(/^NAME\s+SECRETS\s+AGE$/m);
      await k(["create", "serviceaccount", "watched", "-n", ns]);
      await watch.waitFor(/^watched\s+0\s+\d+s$/m);
      await k(["label", "serviceaccount", "watched", "-n", ns, "seen=yes"]);
      // a modification prints the row again; the header only once
      await watch.waitFor(/^watched\s+0\s+\d+s\n(?:[\s\S]*\n)?watched\s+0\s+\d+s$/m);
      expect(watch.output().match(/^NAME\s+SECRETS\s+AGE$/gm)).toHaveLength(1);
    } finally {
      await watch.stop();
    }
  });

  it("deletes a service account", async () => {
    expect(await k(["delete", "serviceaccount", "watched", "-n", ns])).toBe(
      'serviceaccount "watched" deleted\n',
    );
    const gone = await stack.kubectl(["get", "serviceaccount", "watched", "-n", ns]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('Error from server (NotFound): serviceaccounts "watched" not found\n');
    expect(await k(["delete", "secret", "bound-secret", "-n", ns])).toBe('secret "bound-secret" deleted\n');
  });
});

/** A running `kubectl ... -w` whose output can be awaited. */
function startWatch(args: string[]) {
  const home = mkdtempSync(path.join(tmpdir(), "tokenplane-kubectl-watch-"));
  const child: ChildProcess = spawn(
    kubectlBinary,
    ["--kubeconfig", stack.kubeconfig, "--cache-dir", path.join(home, "cache"), ...args],
    { env: { ...process.env, HOME: home, KUBECONFIG: stack.kubeconfig }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) w();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return {
    output: () => out,
    waitFor(re: RegExp, timeoutMs = 20_000): Promise<void> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!re.test(out)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`kubectl ${args.join(" ")}: nothing matched ${re} in ${timeoutMs} ms:\n${out}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
