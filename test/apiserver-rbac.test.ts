/**
 * RBAC of the real apiserver process for the reference's cases, asked two ways: real requests
 * bearing service account tokens (and anonymous ones, and the administrator impersonating), with
 * Kubernetes' exact 403 Status; and real kubectl 1.32 `auth can-i --as=...` (impersonation,
 * answered by SelfSubjectAccessReview).
 * - §6.4: the issuer discovery documents are open to every service account (bootstrap ClusterRole
 *   and ClusterRoleBinding `system:service-account-issuer-discovery`), not to anonymous users —
 *   until the common extra binding to `system:unauthenticated` is made;
 * - `serviceaccounts/token` create through a RoleBinding, without `serviceaccounts` create;
 * - a namespace-scoped RoleBinding to a ClusterRole grants only in its namespace; a Group subject
 *   `system:serviceaccounts:<ns>` covers every account of that namespace;
 * - `resourceNames` narrow reads and subresource creates to the named objects but never grant a
 *   create (it is authorized from the collection URL, without a name);
 * - `system:masters` is allowed everything (the administrator's certificate, or impersonated);
 *   a service account may not impersonate.
 */
import { startTestStack, type TestStack } from "@tokenplane/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, apiClient, type Caller, eventually, failureStatus } from "./support/api-client.js";

let stack: TestStack;
let api: ApiClient;
const tokens: Record<string, { token: string }> = {};

const RBAC = "/apis/rbac.authorization.k8s.io/v1";
const DISCOVERY_PATHS = ["/.well-known/openid-configuration", "/openid/v1/jwks"] as const;
const sa = (ns: string, name: string) => `system:serviceaccount:${ns}:${name}`;

/** `kubectl auth can-i <args> --as=<user>` → "yes" / "no" (exit code 0 / 1 as kubectl gives them). */
async function canI(args: string[], as?: string, groups: string[] = []): Promise<"yes" | "no"> {
  const r = await stack.kubectl([
    "auth",
    "can-i",
    ...args,
    ...(as ? [`--as=${as}`] : []),
    ...groups.map((g) => `--as-group=${g}`),
  ]);
  const answer = r.stdout.trim();
  expect(answer === "yes" || answer === "no", `${args.join(" ")}: ${r.stdout}${r.stderr}`).toBe(true);
  expect(r.code).toBe(answer === "yes" ? 0 : 1);
  return answer as "yes" | "no";
}

/** How a request is made: who (default the administrator), impersonation headers, a body. */
interface Asking {
  as?: Caller;
  headers?: Record<string, string>;
  body?: unknown;
}

/** The request is refused with Kubernetes' 403 Status, exactly. */
async function expectForbidden(
  method: string,
  path: string,
  asking: Asking,
  message: string,
  details: Record<string, unknown>,
): Promise<void> {
  const r = await api.call(method, path, asking);
  expect(r.status, r.body).toBe(403);
  expect(r.headers["content-type"]).toBe("application/json");
  expect(r.json()).toEqual(failureStatus(403, "Forbidden", message, details));
}

/** A SubjectAccessReview asked by the administrator: is `user` in `groups` allowed the non-resource `verb path`? */
async function allowedPath(user: string, groups: string[], verb: string, path: string): Promise<boolean> {
  const r = await api.post("/apis/authorization.k8s.io/v1/subjectaccessreviews", {
    apiVersion: "authorization.k8s.io/v1",
    kind: "SubjectAccessReview",
    spec: { user, groups, nonResourceAttributes: { verb, path } },
  });
  expect(r.status, r.body).toBe(201);
  return r.json().status.allowed === true;
}

async function mintToken(ns: string, name: string): Promise<{ token: string }> {
  const r = await api.post(`/api/v1/namespaces/${ns}/serviceaccounts/${name}/token`, { spec: {} });
  expect(r.status, r.body).toBe(201);
  return { token: r.json().status.token };
}

beforeAll(async () => {
  stack = await startTestStack({
    services: ["apiserver"],
    extraArgs: { apiserver: ["--admission-address="] },
  });
  api = apiClient(stack);
  for (const ns of ["ns1", "ns2"]) await api.create("/api/v1/namespaces", { metadata: { name: ns } });
  for (const [ns, name] of [
    ["ns1", "minter"],
    ["ns1", "target"],
    ["ns1", "reader"],
    ["ns2", "other"],
  ] as const) {
    await api.create(`/api/v1/namespaces/${ns}/serviceaccounts`, { metadata: { name } });
    tokens[name] = await mintToken(ns, name);
  }
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

describe("§6.4 service account issuer discovery", () => {
  it("the bootstrap ClusterRole and ClusterRoleBinding", async () => {
    const bootstrap = {
      labels: { "kubernetes.io/bootstrapping": "rbac-defaults" },
      annotations: { "rbac.authorization.kubernetes.io/autoupdate": "true" },
    };
    const role = (await api.get(`${RBAC}/clusterroles/system:service-account-issuer-discovery`)).json();
    expect(role.metadata).toMatchObject({ name: "system:service-account-issuer-discovery", ...bootstrap });
    expect(role.rules).toEqual([
      { verbs: ["get"], nonResourceURLs: ["/.well-known/openid-configuration", "/openid/v1/jwks"] },
    ]);
    const binding = (
      await api.get(`${RBAC}/clusterrolebindings/system:service-account-issuer-discovery`)
    ).json();
    expect(binding.metadata).toMatchObject({ name: "system:service-account-issuer-discovery", ...bootstrap });
    expect(binding.roleRef).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "system:service-account-issuer-discovery",
    });
    expect(binding.subjects).toEqual([
      { kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "system:serviceaccounts" },
    ]);
  });

  it("any service account may read both documents; anonymous users and other users may not", async () => {
    for (const path of DISCOVERY_PATHS) {
      const asAdmin = await api.get(path);
      expect(asAdmin.status).toBe(200);
      for (const name of ["minter", "other"]) {
        const r = await api.get(path, tokens[name]);
        expect(r.status).toBe(200);
        expect(r.body).toBe(asAdmin.body);
      }
      await expectForbidden(
        "GET",
        path,
        { as: "anonymous" },
        `forbidden: User "system:anonymous" cannot get path "${path}"`,
        {},
      );
      await expectForbidden(
        "GET",
        path,
        { headers: { "Impersonate-User": "jane" } },
        `forbidden: User "jane" cannot get path "${path}"`,
        {},
      );
    }
    expect(await canI(["get", "/openid/v1/jwks"], sa("ns2", "other"))).toBe("yes");
    expect(await canI(["get", "/.well-known/openid-configuration"], sa("ns1", "reader"))).toBe("yes");
    expect(await canI(["get", "/openid/v1/jwks"], "jane")).toBe("no");
    // anonymous users cannot even ask (no SelfSubjectAccessReview for them, as in Kubernetes) …
    const anonymous = await stack.kubectl([
      "auth",
      "can-i",
      "get",
      "/openid/v1/jwks",
      "--as=system:anonymous",
    ]);
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr.trim()).toBe(
      'Error from server (Forbidden): selfsubjectaccessreviews.authorization.k8s.io is forbidden: User "system:anonymous" cannot create resource "selfsubjectaccessreviews" in API group "authorization.k8s.io" at the cluster scope',
    );
    // … so the administrator asks for them
    for (const path of DISCOVERY_PATHS) {
      expect(await allowedPath("system:anonymous", ["system:unauthenticated"], "get", path)).toBe(false);
      expect(
        await allowedPath(
          sa("ns2", "any"),
          ["system:serviceaccounts", "system:serviceaccounts:ns2"],
          "get",
          path,
        ),
      ).toBe(true);
    }
    // the discovery grant is for those two paths only
    expect(await canI(["get", "/openid/v1/jwks/other"], sa("ns2", "other"))).toBe("no");
  });

  it("the common recipe, a binding to system:unauthenticated, opens them to anonymous users", async () => {
    const binding = {
      metadata: { name: "issuer-discovery-anonymous" },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: "system:service-account-issuer-discovery",
      },
      subjects: [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "system:unauthenticated" }],
    };
    await api.create(`${RBAC}/clusterrolebindings`, binding);
    await eventually(
      async () => ((await api.get("/openid/v1/jwks", "anonymous")).status === 200 ? true : undefined),
      "anonymous JWKS access",
    );
    expect((await api.get("/.well-known/openid-configuration", "anonymous")).status).toBe(200);
    expect(await allowedPath("system:anonymous", ["system:unauthenticated"], "get", "/openid/v1/jwks")).toBe(
      true,
    );
    expect((await api.delete(`${RBAC}/clusterrolebindings/issuer-discovery-anonymous`)).status).toBe(200);
    await eventually(
      async () => ((await api.get("/openid/v1/jwks", "anonymous")).status === 403 ? true : undefined),
      "anonymous JWKS access revoked",
    );
  });
});

describe("serviceaccounts/token through a RoleBinding, without serviceaccounts create", () => {
  beforeAll(async () => {
    await api.create(`${RBAC}/namespaces/ns1/roles`, {
      metadata: { name: "token-creator" },
      rules: [{ apiGroups: [""], resources: ["serviceaccounts/token"], verbs: ["create"] }],
    });
    await api.create(`${RBAC}/namespaces/ns1/rolebindings`, {
      metadata: { name: "minter-creates-tokens" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "token-creator" },
      subjects: [{ kind: "ServiceAccount", name: "minter", namespace: "ns1" }],
    });
  });

  it("the minter gets tokens for the accounts of its namespace, which authenticate as them", async () => {
    const r = await eventually(async () => {
      const res = await api.post(
        "/api/v1/namespaces/ns1/serviceaccounts/target/token",
        { spec: {} },
        tokens.minter,
      );
      return res.status === 201 ? res : undefined;
    }, "the RoleBinding to take effect");
    const review = await api.post("/apis/authentication.k8s.io/v1/tokenreviews", {
      spec: { token: r.json().status.token },
    });
    expect(review.json().status.user.username).toBe(sa("ns1", "target"));
    // and itself: the subresource of its own account is in the namespace too
    expect(
      (await api.post("/api/v1/namespaces/ns1/serviceaccounts/minter/token", { spec: {} }, tokens.minter))
        .status,
    ).toBe(201);
  });

  it("but may not create, read or list service accounts, nor get tokens elsewhere", async () => {
    const user = sa("ns1", "minter");
    await expectForbidden(
      "POST",
      "/api/v1/namespaces/ns1/serviceaccounts",
      { as: tokens.minter!, body: { metadata: { name: "new" } } },
      `serviceaccounts is forbidden: User "${user}" cannot create resource "serviceaccounts" in API group "" in the namespace "ns1"`,
      { kind: "serviceaccounts" },
    );
    await expectForbidden(
      "GET",
      "/api/v1/namespaces/ns1/serviceaccounts/target",
      { as: tokens.minter! },
      `serviceaccounts "target" is forbidden: User "${user}" cannot get resource "serviceaccounts" in API group "" in the namespace "ns1"`,
      { name: "target", kind: "serviceaccounts" },
    );
    await expectForbidden(
      "GET",
      "/api/v1/namespaces/ns1/serviceaccounts",
      { as: tokens.minter! },
      `serviceaccounts is forbidden: User "${user}" cannot list resource "serviceaccounts" in API group "" in the namespace "ns1"`,
      { kind: "serviceaccounts" },
    );
    await expectForbidden(
      "POST",
      "/api/v1/namespaces/ns2/serviceaccounts/other/token",
      { as: tokens.minter!, body: { spec: {} } },
      `serviceaccounts "other" is forbidden: User "${user}" cannot create resource "serviceaccounts/token" in API group "" in the namespace "ns2"`,
      { name: "other", kind: "serviceaccounts" },
    );
    // a service account without the binding
    await expectForbidden(
      "POST",
      "/api/v1/namespaces/ns1/serviceaccounts/target/token",
      { as: tokens.reader!, body: { spec: {} } },
      `serviceaccounts "target" is forbidden: User "${sa("ns1", "reader")}" cannot create resource "serviceaccounts/token" in API group "" in the namespace "ns1"`,
      { name: "target", kind: "serviceaccounts" },
    );
  });

  it("kubectl auth can-i and kubectl create token agree", async () => {
    const as = sa("ns1", "minter");
    // (kubectl reads `serviceaccounts/x` as the account named x: the subresource is a flag)
    const token = ["--subresource=token"];
    expect(await canI(["create", "serviceaccounts", ...token, "-n", "ns1"], as)).toBe("yes");
    expect(await canI(["create", "serviceaccounts/target", ...token, "-n", "ns1"], as)).toBe("yes");
    expect(await canI(["create", "serviceaccounts", "-n", "ns1"], as)).toBe("no");
    expect(await canI(["get", "serviceaccounts", "-n", "ns1"], as)).toBe("no");
    expect(await canI(["create", "serviceaccounts", ...token, "-n", "ns2"], as)).toBe("no");
    expect(await canI(["create", "serviceaccounts", ...token, "-n", "ns1"], sa("ns1", "reader"))).toBe("no");

    const created = await stack.kubectl(["create", "token", "target", "-n", "ns1", `--as=${as}`]);
    expect(created.code, created.stderr).toBe(0);
    const [, payload] = created.stdout.trim().split(".");
    expect(JSON.parse(Buffer.from(payload!, "base64url").toString()).sub).toBe(sa("ns1", "target"));
    const refused = await stack.kubectl(["create", "token", "other", "-n", "ns2", `--as=${as}`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      `error: failed to create token: serviceaccounts "other" is forbidden: User "${as}" cannot create resource "serviceaccounts/token" in API group "" in the namespace "ns2"`,
    );
  });
});

describe("a RoleBinding to a ClusterRole grants only in its namespace", () => {
  beforeAll(async () => {
    await api.create(`${RBAC}/clusterroles`, {
      metadata: { name: "pod-reader" },
      rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }],
    });
    await api.create(`${RBAC}/namespaces/ns1/rolebindings`, {
      metadata: { name: "reader-reads-pods" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "pod-reader" },
      subjects: [{ kind: "ServiceAccount", name: "reader", namespace: "ns1" }],
    });
  });

  it("pods of ns1: yes; of ns2 and across namespaces: no", async () => {
    const user = sa("ns1", "reader");
    await eventually(
      async () =>
        (await api.get("/api/v1/namespaces/ns1/pods", tokens.reader)).status === 200 ? true : undefined,
      "the RoleBinding to take effect",
    );
    await expectForbidden(
      "GET",
      "/api/v1/namespaces/ns2/pods",
      { as: tokens.reader! },
      `pods is forbidden: User "${user}" cannot list resource "pods" in API group "" in the namespace "ns2"`,
      { kind: "pods" },
    );
    await expectForbidden(
      "GET",
      "/api/v1/pods",
      { as: tokens.reader! },
      `pods is forbidden: User "${user}" cannot list resource "pods" in API group "" at the cluster scope`,
      { kind: "pods" },
    );
    await expectForbidden(
      "DELETE",
      "/api/v1/namespaces/ns1/pods/some-pod",
      { as: tokens.reader! },
      `pods "some-pod" is forbidden: User "${user}" cannot delete resource "pods" in API group "" in the namespace "ns1"`,
      { name: "some-pod", kind: "pods" },
    );
    expect(await canI(["list", "pods", "-n", "ns1"], user)).toBe("yes");
    expect(await canI(["watch", "pods", "-n", "ns1"], user)).toBe("yes");
    expect(await canI(["list", "pods", "-n", "ns2"], user)).toBe("no");
    expect(await canI(["list", "pods", "--all-namespaces"], user)).toBe("no");
    expect(await canI(["delete", "pods", "-n", "ns1"], user)).toBe("no");
  });

  it("a Group subject system:serviceaccounts:ns1 covers every account of ns1, and only those", async () => {
    await api.create(`${RBAC}/namespaces/ns2/rolebindings`, {
      metadata: { name: "ns1-accounts-read-pods" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "pod-reader" },
      subjects: [
        { kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "system:serviceaccounts:ns1" },
      ],
    });
    await eventually(
      async () =>
        (await api.get("/api/v1/namespaces/ns2/pods", tokens.minter)).status === 200 ? true : undefined,
      "the group binding to take effect",
    );
    expect((await api.get("/api/v1/namespaces/ns2/pods", tokens.reader)).status).toBe(200);
    expect(await canI(["list", "pods", "-n", "ns2"], sa("ns1", "target"))).toBe("yes");
    await expectForbidden(
      "GET",
      "/api/v1/namespaces/ns2/pods",
      { as: tokens.other! },
      `pods is forbidden: User "${sa("ns2", "other")}" cannot list resource "pods" in API group "" in the namespace "ns2"`,
      { kind: "pods" },
    );
    expect(await canI(["list", "pods", "-n", "ns2"], sa("ns2", "other"))).toBe("no");
  });
});

describe("resourceNames", () => {
  beforeAll(async () => {
    await api.create("/api/v1/namespaces/ns2/serviceaccounts", { metadata: { name: "second" } });
    await api.create(`${RBAC}/namespaces/ns2/roles`, {
      metadata: { name: "named-only" },
      rules: [
        {
          apiGroups: [""],
          resources: ["serviceaccounts"],
          verbs: ["get", "create"],
          resourceNames: ["other", "newbie"],
        },
        {
          apiGroups: [""],
          resources: ["serviceaccounts/token"],
          verbs: ["create"],
          resourceNames: ["other"],
        },
      ],
    });
    await api.create(`${RBAC}/namespaces/ns2/rolebindings`, {
      metadata: { name: "other-named-only" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "named-only" },
      subjects: [{ kind: "ServiceAccount", name: "other", namespace: "ns2" }],
    });
  });

  it("restrict reads and token requests to the named objects, and never grant a create", async () => {
    const user = sa("ns2", "other");
    const base = "/api/v1/namespaces/ns2/serviceaccounts";
    await eventually(
      async () => ((await api.get(`${base}/other`, tokens.other)).status === 200 ? true : undefined),
      "the RoleBinding to take effect",
    );
    await expectForbidden(
      "GET",
      `${base}/second`,
      { as: tokens.other! },
      `serviceaccounts "second" is forbidden: User "${user}" cannot get resource "serviceaccounts" in API group "" in the namespace "ns2"`,
      { name: "second", kind: "serviceaccounts" },
    );
    expect((await api.post(`${base}/other/token`, { spec: {} }, tokens.other)).status).toBe(201);
    await expectForbidden(
      "POST",
      `${base}/second/token`,
      { as: tokens.other!, body: { spec: {} } },
      `serviceaccounts "second" is forbidden: User "${user}" cannot create resource "serviceaccounts/token" in API group "" in the namespace "ns2"`,
      { name: "second", kind: "serviceaccounts" },
    );
    // a create is authorized from the collection URL: no name, so resourceNames cannot match
    await expectForbidden(
      "POST",
      base,
      { as: tokens.other!, body: { metadata: { name: "newbie" } } },
      `serviceaccounts is forbidden: User "${user}" cannot create resource "serviceaccounts" in API group "" in the namespace "ns2"`,
      { kind: "serviceaccounts" },
    );
    expect((await api.get(`${base}/newbie`)).status).toBe(404);
    expect(await canI(["get", "serviceaccounts/other", "-n", "ns2"], user)).toBe("yes");
    expect(await canI(["get", "serviceaccounts", "-n", "ns2"], user)).toBe("no");
    expect(await canI(["create", "serviceaccounts", "-n", "ns2"], user)).toBe("no");
  });
});

describe("system:masters", () => {
  it("the administrator's certificate (O=system:masters) may do anything", async () => {
    expect(await canI(["*", "*"])).toBe("yes");
    expect(await canI(["delete", "nodes"])).toBe("yes");
    const who = await stack.kubectl(["auth", "whoami", "-o", "jsonpath={.status.userInfo.groups}"]);
    expect(JSON.parse(who.stdout)).toEqual(["system:masters", "system:authenticated"]);
  });

  it("an impersonated member of system:masters may too; without the group, not", async () => {
    expect(await canI(["*", "*"], "jane", ["system:masters"])).toBe("yes");
    expect(await canI(["list", "secrets", "--all-namespaces"], "jane")).toBe("no");
    const r = await api.call("GET", "/api/v1/secrets", {
      headers: { "Impersonate-User": "jane", "Impersonate-Group": "system:masters" },
    });
    expect(r.status).toBe(200);
    await expectForbidden(
      "GET",
      "/api/v1/secrets",
      { headers: { "Impersonate-User": "jane" } },
      'secrets is forbidden: User "jane" cannot list resource "secrets" in API group "" at the cluster scope',
      { kind: "secrets" },
    );
  });

  it("a service account may not impersonate system:masters (or anyone)", async () => {
    const user = sa("ns1", "reader");
    await expectForbidden(
      "GET",
      "/api/v1/secrets",
      { as: tokens.reader!, headers: { "Impersonate-User": "jane", "Impersonate-Group": "system:masters" } },
      `users "jane" is forbidden: User "${user}" cannot impersonate resource "users" in API group "" at the cluster scope`,
      { name: "jane", kind: "users" },
    );
    expect(await canI(["impersonate", "users"], user)).toBe("no");
    expect(await canI(["impersonate", "groups"], user)).toBe("no");
  });
});

describe("a binding to a role that does not exist", () => {
  it("grants nothing, and the 403 ends with RBAC's resolution error", async () => {
    await api.create(`${RBAC}/namespaces/ns2/rolebindings`, {
      metadata: { name: "to-nothing" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "gone" },
      subjects: [{ kind: "ServiceAccount", name: "other", namespace: "ns2" }],
    });
    const message = `configmaps is forbidden: User "${sa("ns2", "other")}" cannot list resource "configmaps" in API group "" in the namespace "ns2": RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found`;
    await eventually(async () => {
      const r = await api.get("/api/v1/namespaces/ns2/configmaps", tokens.other);
      return r.status === 403 && r.json().message === message ? true : undefined;
    }, "the binding to be seen");
    await expectForbidden("GET", "/api/v1/namespaces/ns2/configmaps", { as: tokens.other! }, message, {
      kind: "configmaps",
    });
    expect((await api.delete(`${RBAC}/namespaces/ns2/rolebindings/to-nothing`)).status).toBe(200);
  });
});
