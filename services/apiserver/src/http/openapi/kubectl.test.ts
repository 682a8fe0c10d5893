/**
 * Real kubectl (1.32 on PATH) against a throwaway HTTPS server that serves only the discovery and
 * OpenAPI documents built here, plus a small in-memory store whose PATCH handler uses the patch
 * module — so the bodies kubectl computes for apply/patch are applied by our code.
 */
import type { DescMessage } from "@bufbuild/protobuf";
import { type JsonObject, type JsonValue, resources, StatusError } from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  applyJsonPatch,
  applyMergePatch,
  applyServerSide,
  applyStrategicMergePatch,
  parseApplyPatch,
} from "../../patch/index.js";
import { customResourceDefinitionsPath, emptyCustomResourceDefinitionList } from "../discovery/index.js";
import {
  type RecordedRequest,
  startTestApiServer,
  type TestApiServer,
  type TestResponse,
} from "./kubectl-test-server.js";

const schemas: Record<string, DescMessage> = {
  serviceaccounts: corev1.ServiceAccountSchema,
  pods: corev1.PodSchema,
};

/** An in-memory store of objects by path, with Kubernetes-shaped 404s and the four patch types. */
function objectStore(objects: Map<string, JsonObject>) {
  return (req: RecordedRequest): TestResponse | undefined => {
    const url = new URL(req.url, "https://x");
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/(serviceaccounts|pods)\/([^/]+)$/.exec(url.pathname);
    if (!m) {
      // kubectl lists CRDs when a kind's PATCH has no fieldValidation (create-only kinds).
      if (url.pathname === customResourceDefinitionsPath) {
        return { status: 200, body: JSON.stringify(emptyCustomResourceDefinitionList("1")) };
      }
      return undefined;
    }
    const [, , resource, name] = m;
    const schema = schemas[resource as string] as DescMessage;
    const current = objects.get(url.pathname);
    const notFound = {
      status: 404,
      body: JSON.stringify({
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: `${resource} "${name}" not found`,
        reason: "NotFound",
        details: { name, kind: resource },
        code: 404,
      }),
    };
    if (req.method === "GET") return current ? { status: 200, body: JSON.stringify(current) } : notFound;
    if (req.method !== "PATCH") return undefined;
    const type = String(req.headers["content-type"]);
    try {
      let result: JsonValue;
      let status = 200;
      if (type === "application/apply-patch+yaml") {
        const applied = applyServerSide(current, parseApplyPatch(req.body), schema);
        result = applied.object;
        status = applied.created ? 201 : 200;
      } else if (!current) {
        return notFound;
      } else if (type === "application/strategic-merge-patch+json") {
        result = applyStrategicMergePatch(current, JSON.parse(req.body) as JsonValue, schema);
      } else if (type === "application/merge-patch+json") {
        result = applyMergePatch(current, JSON.parse(req.body) as JsonValue);
      } else {
        result = applyJsonPatch(current, JSON.parse(req.body) as JsonValue);
      }
      objects.set(url.pathname, result as JsonObject);
      return { status, body: JSON.stringify(result) };
    } catch (err) {
      if (err instanceof StatusError) return { status: err.code, body: JSON.stringify(err.status) };
      throw err;
    }
  };
}

const lastApplied = (o: JsonObject) => `${JSON.stringify(o)}\n`;

describe("kubectl 1.32 against the discovery and OpenAPI documents", () => {
  let server: TestApiServer;
  const objects = new Map<string, JsonObject>();

  beforeAll(async () => {
    server = await startTestApiServer({ handle: objectStore(objects) });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("api-resources lists every resource with its short names, scope and kind (aggregated discovery v2)", async () => {
    const r = await server.kubectl(["api-resources"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const [header, ...lines] = r.stdout.trimEnd().split("\n");
    const cols = ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"].map((c) => header!.indexOf(c));
    const rows = lines.map((l) => cols.map((start, i) => l.slice(start, cols[i + 1]).trim()));
    const expected = resources.map((info) => [
      info.resource,
      info.shortNames.join(","),
      info.apiVersion,
      String(info.namespaced),
      info.kind,
    ]);
    expect([...rows].sort()).toEqual([...expected].sort());
    const discovery = server.requests.filter((q) => q.url.startsWith("/api?") || q.url.startsWith("/apis?"));
    expect(discovery).toHaveLength(2);
    expect(discovery[0]?.headers.accept).toBe(
      "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json",
    );
  });

  it("get by short name resolves through discovery (sa → serviceaccounts)", async () => {
    const r = await server.kubectl(["get", "sa", "nosuch", "-n", "default"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error from server (NotFound): serviceaccounts "nosuch" not found\n');
    expect(server.requests.at(-1)?.url).toBe("/api/v1/namespaces/default/serviceaccounts/nosuch");
  });

  it("explain serviceaccount prints the fields and their descriptions (OpenAPI v3)", async () => {
    const r = await server.kubectl(["explain", "serviceaccount"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("KIND:       ServiceAccount\nVERSION:    v1\n");
    expect(r.stdout).toContain(
      "DESCRIPTION:\n    ServiceAccount binds together: * a name, understood by users",
    );
    for (const field of [
      "apiVersion\t<string>",
      "automountServiceAccountToken\t<boolean>",
      "imagePullSecrets\t<[]LocalObjectReference>",
      "kind\t<string>",
      "metadata\t<ObjectMeta>",
      "secrets\t<[]ObjectReference>",
    ]) {
      expect(r.stdout).toContain(`  ${field}\n`);
    }
    expect(server.requests.some((q) => q.url === "/openapi/v3?timeout=32s")).toBe(true);
    expect(server.requests.some((q) => q.url.startsWith("/openapi/v3/api/v1?hash="))).toBe(true);
  });

  it("explain pod.spec.volumes.projected follows allOf/items references through inline volume sources", async () => {
    const r = await server.kubectl(["explain", "pod.spec.volumes.projected"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("FIELD: projected <ProjectedVolumeSource>");
    expect(r.stdout).toContain("  defaultMode\t<integer>\n");
    expect(r.stdout).toContain("  sources\t<[]VolumeProjection>\n");
    const token = await server.kubectl(["explain", "pod.spec.volumes.projected.sources.serviceAccountToken"]);
    expect(token.stdout).toContain("  audience\t<string>\n");
    expect(token.stdout).toContain("  expirationSeconds\t<integer>\n");
    expect(token.stdout).toContain("  path\t<string> -required-\n");
  });

  it("explain pod.spec.containers.livenessProbe shows the inline handler and IntOrString ports", async () => {
    const r = await server.kubectl(["explain", "pod.spec.containers.livenessProbe"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("FIELD: livenessProbe <Probe>");
    expect(r.stdout).toContain("DESCRIPTION:\n    Periodic probe of container liveness.");
    for (const field of [
      "exec\t<ExecAction>",
      "failureThreshold\t<integer>",
      "grpc\t<GRPCAction>",
      "httpGet\t<HTTPGetAction>",
      "periodSeconds\t<integer>",
      "tcpSocket\t<TCPSocketAction>",
      "terminationGracePeriodSeconds\t<integer>",
    ]) {
      expect(r.stdout).toContain(`  ${field}\n`);
    }
    expect(r.stdout).not.toContain("handler");
    const httpGet = await server.kubectl(["explain", "pod.spec.containers.livenessProbe.httpGet"]);
    expect(httpGet.stdout).toContain("  port\t<IntOrString> -required-\n");
    expect(httpGet.stdout).toContain("  httpHeaders\t<[]HTTPHeader>\n");
    const port = await server.kubectl(["explain", "pod.spec.containers.readinessProbe.tcpSocket.port"]);
    expect(port.code).toBe(0);
    expect(port.stdout).toContain("FIELD: port <IntOrString>");
    const preStop = await server.kubectl(["explain", "pod.spec.containers.lifecycle.preStop.sleep"]);
    expect(preStop.stdout).toContain("  seconds\t<integer> -required-\n");
  });

  it("create -f of a pod with probes and lifecycle hooks gets past validation to the POST", async () => {
    const manifest = [
      "apiVersion: v1",
      "kind: Pod",
      "metadata:",
      "  name: probed",
      "  namespace: default",
      "spec:",
      "  containers:",
      "  - name: web",
      "    image: nginx",
      "    ports: [{name: http, containerPort: 8080}]",
      "    livenessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 10}",
      "    readinessProbe: {tcpSocket: {port: 8080}}",
      "    lifecycle: {preStop: {sleep: {seconds: 5}}}",
      "",
    ].join("\n");
    const r = await server.kubectl(["create", "--validate=true", "-f", "-"], manifest);
    expect(r.stderr).toContain("Error from server (NotFound)");
    const post = server.requests.at(-1)!;
    expect(post.method).toBe("POST");
    expect(post.url).toContain("/api/v1/namespaces/default/pods?");
    const body = JSON.parse(post.body) as { spec: { containers: JsonObject[] } };
    expect(body.spec.containers[0]).toMatchObject({
      livenessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 10 },
      readinessProbe: { tcpSocket: { port: 8080 } },
    });
  });

  it("apply --dry-run=server passes client-side validation and leaves it to the server (fieldValidation=Strict)", async () => {
    const sa =
      "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: dry\n  namespace: default\nautomountServiceAccountToken: false\n";
    const r = await server.kubectl(["apply", "--dry-run=server", "-f", "-"], sa);
    // The test server has no create handler: kubectl got past validation and its POST got a 404.
    expect(r.stderr).toBe(
      'Error from server (NotFound): error when creating "STDIN": the server could not find the requested resource\n',
    );
    const post = server.requests.at(-1)!;
    expect(post.method).toBe("POST");
    expect(post.url).toBe(
      "/api/v1/namespaces/default/serviceaccounts?dryRun=All&fieldManager=kubectl-client-side-apply&fieldValidation=Strict",
    );
    expect(JSON.parse(post.body)).toEqual({
      apiVersion: "v1",
      automountServiceAccountToken: false,
      kind: "ServiceAccount",
      metadata: {
        annotations: {
          "kubectl.kubernetes.io/last-applied-configuration": lastApplied({
            apiVersion: "v1",
            automountServiceAccountToken: false,
            kind: "ServiceAccount",
            metadata: { annotations: {}, name: "dry", namespace: "default" },
          }),
        },
        name: "dry",
        namespace: "default",
      },
    });
  });

  it("create -f of a TokenReview and of a kind: List is validated against OpenAPI v2 (protobuf)", async () => {
    const bad = "apiVersion: authentication.k8s.io/v1\nkind: TokenReview\nspec:\n  tokn: abc\n";
    const r = await server.kubectl(["create", "-f", "-"], bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'error validating data: ValidationError(TokenReview.spec): unknown field "tokn" in io.k8s.api.authentication.v1.TokenReviewSpec',
    );
    const v2 = server.requests.find((q) => q.url.startsWith("/openapi/v2"));
    expect(v2?.headers.accept).toBe("application/com.github.proto-openapi.spec.v2@v1.0+protobuf");

    const good = "apiVersion: authentication.k8s.io/v1\nkind: TokenReview\nspec:\n  token: abc\n";
    const ok = await server.kubectl(["create", "-f", "-"], good);
    expect(ok.stderr).toContain("Error from server (NotFound)");
    expect(server.requests.at(-1)?.url).toBe(
      "/apis/authentication.k8s.io/v1/tokenreviews?fieldManager=kubectl-create&fieldValidation=Strict",
    );

    const list =
      "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ServiceAccount\n  metadata:\n    name: a\n  bogus: 1\n";
    const l = await server.kubectl(["create", "-f", "-"], list);
    expect(l.stderr).toContain(
      'ValidationError(ServiceAccount): unknown field "bogus" in io.k8s.api.core.v1.ServiceAccount',
    );
  });

  it("re-apply sends a strategic merge patch that our merge applies as Kubernetes would", async () => {
    const before = {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "sa2", namespace: "default", labels: { a: "1" } },
      secrets: [{ name: "s1" }],
    };
    objects.set("/api/v1/namespaces/default/serviceaccounts/sa2", {
      ...before,
      metadata: {
        ...before.metadata,
        uid: "u-1",
        annotations: { "kubectl.kubernetes.io/last-applied-configuration": lastApplied(before) },
      },
    });
    const manifest =
      'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa2\n  namespace: default\n  labels:\n    b: "2"\nsecrets:\n- name: s1\n- name: s2\nimagePullSecrets:\n- name: pull\n';
    const r = await server.kubectl(["apply", "-f", "-"], manifest);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("serviceaccount/sa2 configured\n");
    const patch = server.requests.at(-1)!;
    expect(patch.method).toBe("PATCH");
    expect(patch.headers["content-type"]).toBe("application/strategic-merge-patch+json");
    expect(patch.url).toBe(
      "/api/v1/namespaces/default/serviceaccounts/sa2?fieldManager=kubectl-client-side-apply&fieldValidation=Strict",
    );
    const body = JSON.parse(patch.body) as JsonObject;
    expect(body.imagePullSecrets).toEqual([{ name: "pull" }]);
    expect(body.secrets).toEqual([{ name: "s2" }]);
    expect(body["$setElementOrder/secrets"]).toEqual([{ name: "s1" }, { name: "s2" }]);
    expect((body.metadata as JsonObject).labels).toEqual({ a: null, b: "2" });
    const stored = objects.get("/api/v1/namespaces/default/serviceaccounts/sa2")!;
    expect(stored.secrets).toEqual([{ name: "s1" }, { name: "s2" }]);
    expect(stored.imagePullSecrets).toEqual([{ name: "pull" }]);
    expect((stored.metadata as JsonObject).labels).toEqual({ b: "2" });
    expect((stored.metadata as JsonObject).uid).toBe("u-1");
  });

  it("re-apply of a pod: containers and env merge by name in the manifest's order", async () => {
    const before = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p1", namespace: "default" },
      spec: {
        containers: [{ name: "app", image: "nginx:1", env: [{ name: "A", value: "1" }] }],
        volumes: [{ name: "v", emptyDir: {} }],
      },
    };
    objects.set("/api/v1/namespaces/default/pods/p1", {
      ...before,
      metadata: {
        ...before.metadata,
        annotations: { "kubectl.kubernetes.io/last-applied-configuration": lastApplied(before) },
      },
      spec: {
        ...before.spec,
        serviceAccountName: "default",
        containers: [
          {
            name: "app",
            image: "nginx:1",
            env: [{ name: "A", value: "1" }],
            terminationMessagePath: "/dev/termination-log",
          },
        ],
      },
    });
    const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: p1
  namespace: default
spec:
  containers:
  - name: side
    image: busybox
  - name: app
    image: nginx:2
    env:
    - name: B
      value: "2"
    - name: A
      value: "1"
  volumes:
  - name: v
    configMap:
      name: cm
`;
    const r = await server.kubectl(["apply", "-f", "-"], manifest);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("pod/p1 configured\n");
    const body = JSON.parse(server.requests.at(-1)!.body) as JsonObject;
    const spec = body.spec as JsonObject;
    expect(spec["$setElementOrder/containers"]).toEqual([{ name: "side" }, { name: "app" }]);
    expect(spec.volumes).toEqual([
      { $retainKeys: ["configMap", "name"], configMap: { name: "cm" }, emptyDir: null, name: "v" },
    ]);
    const stored = objects.get("/api/v1/namespaces/default/pods/p1")!;
    expect(stored.spec).toEqual({
      serviceAccountName: "default",
      containers: [
        { name: "side", image: "busybox" },
        {
          name: "app",
          image: "nginx:2",
          env: [
            { name: "B", value: "2" },
            { name: "A", value: "1" },
          ],
          terminationMessagePath: "/dev/termination-log",
        },
      ],
      volumes: [{ name: "v", configMap: { name: "cm" } }],
    });
  });

  it("kubectl patch: strategic (default), merge and json bodies", async () => {
    const path = "/api/v1/namespaces/default/serviceaccounts/sa2";
    const smp = await server.kubectl([
      "patch",
      "sa",
      "sa2",
      "-n",
      "default",
      "-p",
      '{"secrets":[{"name":"s3"}]}',
    ]);
    expect(smp.stdout).toBe("serviceaccount/sa2 patched\n");
    expect(server.requests.at(-1)?.headers["content-type"]).toBe("application/strategic-merge-patch+json");
    expect(objects.get(path)?.secrets).toEqual([{ name: "s3" }, { name: "s1" }, { name: "s2" }]);

    const merge = await server.kubectl([
      "patch",
      "sa",
      "sa2",
      "-n",
      "default",
      "--type",
      "merge",
      "-p",
      '{"secrets":[{"name":"only"}]}',
    ]);
    expect(merge.stdout).toBe("serviceaccount/sa2 patched\n");
    expect(server.requests.at(-1)?.headers["content-type"]).toBe("application/merge-patch+json");
    expect(objects.get(path)?.secrets).toEqual([{ name: "only" }]);

    const json = await server.kubectl([
      "patch",
      "sa",
      "sa2",
      "-n",
      "default",
      "--type",
      "json",
      "-p",
      '[{"op":"add","path":"/secrets/-","value":{"name":"last"}},{"op":"test","path":"/secrets/0/name","value":"only"}]',
    ]);
    expect(json.stdout).toBe("serviceaccount/sa2 patched\n");
    expect(server.requests.at(-1)?.headers["content-type"]).toBe("application/json-patch+json");
    expect(objects.get(path)?.secrets).toEqual([{ name: "only" }, { name: "last" }]);

    const failing = await server.kubectl([
      "patch",
      "sa",
      "sa2",
      "-n",
      "default",
      "--type",
      "json",
      "-p",
      '[{"op":"test","path":"/secrets/0/name","value":"nope"}]',
    ]);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toContain("the server rejected our request due to an error in our request");
  });

  it("apply --server-side creates with an apply patch (201) and then merges (200)", async () => {
    const manifest =
      "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa3\n  namespace: default\nsecrets:\n- name: x\n";
    const r = await server.kubectl(["apply", "--server-side", "-f", "-"], manifest);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("serviceaccount/sa3 serverside-applied\n");
    const req = server.requests.at(-1)!;
    expect(req.method).toBe("PATCH");
    expect(req.url).toBe(
      "/api/v1/namespaces/default/serviceaccounts/sa3?fieldManager=kubectl&fieldValidation=Strict&force=false",
    );
    expect(req.headers["content-type"]).toBe("application/apply-patch+yaml");
    expect(objects.get("/api/v1/namespaces/default/serviceaccounts/sa3")).toEqual({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "sa3", namespace: "default" },
      secrets: [{ name: "x" }],
    });
  });
});

describe("kubectl 1.28 (dispatched by /version minor 28) reads aggregated discovery v2beta1", () => {
  let server: TestApiServer;
  beforeAll(async () => {
    server = await startTestApiServer({ minor: "28" });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("api-resources", async () => {
    const r = await server.kubectl(["api-resources", "--api-group=rbac.authorization.k8s.io", "-o", "name"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(
      "clusterrolebindings.rbac.authorization.k8s.io\nclusterroles.rbac.authorization.k8s.io\nrolebindings.rbac.authorization.k8s.io\nroles.rbac.authorization.k8s.io\n",
    );
    const api = server.requests.find((q) => q.url.startsWith("/apis?"));
    expect(api?.headers.accept).toBe(
      "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json",
    );
  });
});
