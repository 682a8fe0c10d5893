/**
 * Real kubectl get against Tables built here: the test server answers list and watch requests of
 * a few fixed objects with `toTable` / `watchTableEncoder` when the Accept header asks for a Table.
 */
import type { DescMessage } from "@bufbuild/protobuf";
import {
  fromK8sJson,
  type JsonObject,
  objectToJson,
  resourceFor,
  type StoredObject,
} from "@tokenplane/apimachinery";
import { corev1 } from "@tokenplane/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApiServer, type TestApiServer } from "../openapi/kubectl-test-server.js";
import { parseIncludeObject, toTable, wantsTable, watchTableEncoder } from "./table.js";

const now = Date.now();
const iso = (secondsAgo: number) => new Date(now - secondsAgo * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

function obj(schema: DescMessage, json: JsonObject): StoredObject {
  const r = fromK8sJson(schema, json);
  if ("error" in r) throw new TypeError(r.error);
  return r.value as unknown as StoredObject;
}

const serviceAccounts = [
  obj(corev1.ServiceAccountSchema, {
    metadata: {
      name: "default",
      namespace: "default",
      resourceVersion: "10",
      creationTimestamp: iso(3 * 86400 + 3600),
    },
  }),
  obj(corev1.ServiceAccountSchema, {
    metadata: { name: "builder", namespace: "default", resourceVersion: "11", creationTimestamp: iso(125) },
    secrets: [{ name: "builder-token" }],
  }),
];
const pods = [
  obj(corev1.PodSchema, {
    metadata: { name: "web", namespace: "default", resourceVersion: "12", creationTimestamp: iso(600) },
    spec: { containers: [{ name: "app" }], nodeName: "node-1" },
    status: {
      phase: "Running",
      podIPs: [{ ip: "10.1.0.7" }],
      containerStatuses: [
        { name: "app", ready: true, restartCount: 0, image: "nginx", state: { running: {} } },
      ],
    },
  }),
];
const configMaps = [
  obj(corev1.ConfigMapSchema, {
    metadata: {
      name: "kube-root-ca.crt",
      namespace: "default",
      resourceVersion: "13",
      creationTimestamp: iso(30),
    },
    data: { "ca.crt": "x" },
  }),
  obj(corev1.ConfigMapSchema, {
    metadata: { name: "settings", namespace: "default", resourceVersion: "14", creationTimestamp: iso(5) },
    data: { a: "1", b: "2" },
  }),
];
const byResource: Record<string, StoredObject[]> = {
  serviceaccounts: serviceAccounts,
  pods,
  configmaps: configMaps,
};

describe("kubectl get renders the server's Tables", () => {
  let server: TestApiServer;
  beforeAll(async () => {
    server = await startTestApiServer({
      handle: (req) => {
        const url = new URL(req.url, "https://x");
        const m = /^\/api\/v1\/namespaces\/default\/(serviceaccounts|pods|configmaps)$/.exec(url.pathname);
        if (req.method !== "GET" || !m) return undefined;
        const info = resourceFor("", m[1]!)!;
        const items = byResource[m[1]!]!;
        const table = wantsTable(req.headers.accept as string | undefined);
        const includeObject = parseIncludeObject(url.searchParams.get("includeObject"));
        if (url.searchParams.get("watch") === "true") {
          if (!table) return { status: 406, body: "{}" };
          const encode = watchTableEncoder(info, {
            now: () => now,
            includeObject,
            apiVersion: table.apiVersion,
          });
          const events = items.map((o) => JSON.stringify({ type: "ADDED", object: encode(o) })).join("\n");
          return { status: 200, contentType: table.contentType, body: `${events}\n` };
        }
        if (table) {
          const body = toTable(info, items, {
            now,
            includeObject,
            apiVersion: table.apiVersion,
            listMeta: { resourceVersion: "20" },
          });
          return { status: 200, contentType: table.contentType, body: JSON.stringify(body) };
        }
        const list = {
          kind: `${info.kind}List`,
          apiVersion: "v1",
          metadata: { resourceVersion: "20" },
          items: items.map((o) => objectToJson(info, o)),
        };
        return { status: 200, body: JSON.stringify(list) };
      },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("get sa: NAME SECRETS AGE", async () => {
    const r = await server.kubectl(["get", "sa", "-n", "default"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("NAME      SECRETS   AGE\ndefault   0         3d1h\nbuilder   1         2m5s\n");
    expect(server.requests.at(-1)?.headers.accept).toBe(
      "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
    );
  });

  it("get pods -o wide shows the priority-1 columns", async () => {
    const r = await server.kubectl(["get", "pods", "-n", "default", "-o", "wide"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(
      "NAME   READY   STATUS    RESTARTS   AGE   IP         NODE     NOMINATED NODE   READINESS GATES\n" +
        "web    1/1     Running   0          10m   10.1.0.7   node-1   <none>           <none>\n",
    );
    const plain = await server.kubectl(["get", "pods", "-n", "default"]);
    expect(plain.stdout).toBe(
      "NAME   READY   STATUS    RESTARTS   AGE\nweb    1/1     Running   0          10m\n",
    );
  });

  it("get cm --watch-only: a header once, then one row per event", async () => {
    const r = await server.kubectl(["get", "cm", "-n", "default", "--watch-only", "--request-timeout=5s"]);
    expect(r.stdout).toBe(
      "NAME               DATA   AGE\nkube-root-ca.crt   1      30s\nsettings           2      5s\n",
    );
    const watch = server.requests.at(-1)!;
    expect(watch.url).toMatch(/[?&]watch=true/);
  });
});
