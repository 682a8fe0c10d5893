/**
 * The HTTPS server end to end in one process: the real Api over a memory-store registry
 * (system:masters may do anything, everyone else is refused), a stand-in authenticator, real TLS
 * with certificates made at run time, and plain node:https clients. Checks what only the wire
 * shows: client-certificate trust, the 401 body, watch streaming and its end, trace ids, the
 * request metrics and the one log line per request (without credentials).
 */

import { mkdtempSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { create } from "@bufbuild/protobuf";
import {
  type CertificateAndKey,
  createCertificateAuthority,
  createClientCertificate,
  createServingCertificate,
} from "@tokenplane/crypto";
import { authnv1 } from "@tokenplane/proto";
import { createLogger, createMetrics } from "@tokenplane/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Api } from "../api/api.js";
import { createApi } from "../api/create-api.js";
import type { RequestAuthenticator } from "../authn/authenticator.js";
import { anonymousUser } from "../authn/request-authenticator.js";
import {
  createAccessReviews,
  createEscalationCheck,
  createPrivilegedGroupAuthorizer,
  createUnionAuthorizer,
  createUnionRuleResolver,
  PolicyIndex,
} from "../authz/index.js";
import { ensureSystemNamespaces } from "../registry/index.js";
import { testRegistry } from "../registry/test-registry.js";
import { type HttpsApi, startHttpsApi } from "./start-https-api.js";

const unused = () => {
  throw new Error("not used in this test");
};

/** Certificate subjects become users, one bearer token is known, nothing presented is anonymous. */
const authenticator: RequestAuthenticator = {
  async authenticate(c) {
    if (c.certificate) {
      return {
        ok: true,
        user: {
          username: c.certificate.commonName,
          uid: "",
          groups: [...c.certificate.organizations, "system:authenticated"],
          extra: {},
        },
        warnings: [],
        auditAnnotations: {},
      };
    }
    if (c.bearerToken === "jane-token") {
      return {
        ok: true,
        user: { username: "jane", uid: "", groups: ["system:authenticated"], extra: {} },
        warnings: ["token warning"],
        auditAnnotations: {},
      };
    }
    if (c.bearerToken !== undefined) return { ok: false, reason: "token signed by nobody we know" };
    return { ok: true, user: anonymousUser(), warnings: [], auditAnnotations: {} };
  },
};

let server: HttpsApi;
let ca: CertificateAndKey;
let admin: CertificateAndKey;
let stranger: CertificateAndKey;
const logLines: string[] = [];
const metrics = createMetrics({ service: "apiserver", defaultMetrics: false });

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(
  method: string,
  path: string,
  o: { cert?: CertificateAndKey; token?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers.Authorization = `Bearer ${o.token}`;
    if (o.body !== undefined) headers["Content-Length"] = String(Buffer.byteLength(o.body));
    const req = httpsRequest(
      {
        method,
        host: "127.0.0.1",
        port: server.port,
        path,
        ca: ca.certPem,
        ...(o.cert ? { cert: o.cert.certPem, key: o.cert.keyPem } : {}),
        headers,
        agent: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          body += d;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(o.body);
  });
}

beforeAll(async () => {
  const now = Date.now();
  ca = await createCertificateAuthority({ commonName: "test-ca", now });
  const serving = await createServingCertificate(ca, {
    commonName: "apiserver",
    ipAddresses: ["127.0.0.1"],
    now,
  });
  admin = await createClientCertificate(ca, { user: "kubernetes-admin", groups: ["system:masters"], now });
  const otherCa = await createCertificateAuthority({ commonName: "other-ca", now });
  stranger = await createClientCertificate(otherCa, { user: "mallory", groups: ["system:masters"], now });
  const dir = mkdtempSync(path.join(tmpdir(), "https-api-test-"));
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const env = testRegistry();
  await ensureSystemNamespaces(env.registry);
  const authorizer = createUnionAuthorizer([createPrivilegedGroupAuthorizer()]);
  const api: Api = createApi({
    registry: env.registry,
    authorizer,
    escalation: createEscalationCheck({ authorizer, index: new PolicyIndex() }),
    accessReviews: createAccessReviews({ authorizer, ruleResolver: createUnionRuleResolver([]) }),
    tokens: { createToken: unused },
    tokenReviews: { createTokenReview: unused },
    selfSubjectReviews: {
      createSelfSubjectReview: (ctx) =>
        create(authnv1.SelfSubjectReviewSchema, {
          status: { userInfo: { username: ctx.user.username, groups: ctx.user.groups } },
        }),
    },
    openIdMetadata: () => undefined,
  });
  server = await startHttpsApi({
    api,
    authenticator,
    host: "127.0.0.1",
    port: 0,
    tls: {
      certFile: file("tls.crt", serving.certPem),
      keyFile: file("tls.key", serving.keyPem),
      caFile: file("ca.crt", ca.certPem),
    },
    maxRequestBytes: 64 * 1024,
    externalAddress: "127.0.0.1:6443",
    log: createLogger({
      service: "apiserver",
      level: "debug",
      pretty: false,
      destination: { write: (l: string) => logLines.push(l) },
    }),
    metrics,
  });
});

afterAll(async () => {
  await server?.close();
});

describe("startHttpsApi", () => {
  it("trusts a client certificate only when it chains to the cluster CA (else 401, as Kubernetes' x509 authenticator)", async () => {
    const ok = await call("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
      cert: admin,
      body: "{}",
    });
    expect(ok.status).toBe(201);
    expect(JSON.parse(ok.body).status.userInfo).toEqual({
      username: "kubernetes-admin",
      groups: ["system:masters", "system:authenticated"],
    });
    const other = await call("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
      cert: stranger,
      body: "{}",
    });
    expect(other.status).toBe(401);
    expect(logLines.join("\n")).toMatch(
      /verifying certificate SN=[0-9A-F]+, SKID=, AKID= failed: x509: .+ \(CN=mallory\)/,
    );
    // a token still authenticates a request whose certificate is not trusted
    const withToken = await call("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
      cert: stranger,
      token: "jane-token",
      body: "{}",
    });
    // (only system:masters may do anything here, so jane is refused by name)
    expect(JSON.parse(withToken.body).message).toMatch(
      /^selfsubjectreviews\.authentication\.k8s\.io is forbidden: User "jane"/,
    );
  });

  it("answers a refused token with the bare 401 and logs why, never the token", async () => {
    const r = await call("GET", "/api/v1/namespaces", { token: "secret-token-value" });
    expect(r.status).toBe(401);
    expect(r.body).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}\n',
    );
    const log = logLines.join("\n");
    expect(log).toContain("token signed by nobody we know");
    expect(log).not.toContain("secret-token-value");
  });

  it("sends the authenticator's warnings and RBAC's 403", async () => {
    const r = await call("GET", "/api/v1/namespaces/default/secrets", { token: "jane-token" });
    expect(r.status).toBe(403);
    expect(r.headers.warning).toBe('299 - "token warning"');
    expect(JSON.parse(r.body).message).toMatch(
      /^secrets is forbidden: User "jane" cannot list resource "secrets"/,
    );
  });

  it("takes the request id and trace from the caller and logs one line per request", async () => {
    const traceId = "0af7651916cd43dd8448eb211c80319c";
    const r = await call("GET", "/api/v1/namespaces/default", {
      cert: admin,
      headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01`, "X-Request-Id": "req-42" },
    });
    expect(r.status).toBe(200);
    expect(r.headers["audit-id"]).toBe("req-42");
    const line = logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.request_id === "req-42" && l.msg === "request");
    expect(line).toMatchObject({
      trace_id: traceId,
      method: "GET",
      path: "/api/v1/namespaces/default",
      verb: "get",
      user: "kubernetes-admin",
      code: 200,
    });
  });

  it("streams watch events until timeoutSeconds, one JSON line each", async () => {
    const created = await call("POST", "/api/v1/namespaces/default/configmaps", {
      cert: admin,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ metadata: { name: "watched" }, data: { a: "1" } }),
    });
    expect(created.status).toBe(201);
    const started = Date.now();
    const r = await call("GET", "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1", {
      cert: admin,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(r.headers["transfer-encoding"]).toBe("chunked");
    const events = r.body
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; object: Record<string, unknown> });
    expect(events.map((e) => e.type)).toEqual(["ADDED"]);
    expect(events[0]!.object).toMatchObject({ apiVersion: "v1", kind: "ConfigMap", data: { a: "1" } });
  });

  it("deletes a collection and answers with the deleted objects", async () => {
    for (const name of ["d1", "d2"]) {
      await call("POST", "/api/v1/namespaces/default/configmaps", {
        cert: admin,
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ metadata: { name, labels: { drop: "yes" } } }),
      });
    }
    const r = await call("DELETE", "/api/v1/namespaces/default/configmaps?labelSelector=drop%3Dyes", {
      cert: admin,
    });
    expect(r.status).toBe(200);
    const list = JSON.parse(r.body) as {
      kind: string;
      apiVersion: string;
      items: { metadata: { name: string } }[];
    };
    expect(list.kind).toBe("ConfigMapList");
    expect(list.apiVersion).toBe("v1");
    expect(list.items.map((i) => i.metadata.name).sort()).toEqual(["d1", "d2"]);
  });

  it("lists no CustomResourceDefinitions to those who may list them (kubectl's validation asks)", async () => {
    const path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
    const r = await call("GET", path, { cert: admin });
    expect(JSON.parse(r.body)).toEqual({
      kind: "CustomResourceDefinitionList",
      apiVersion: "apiextensions.k8s.io/v1",
      metadata: {},
      items: [],
    });
    const jane = await call("GET", path, { token: "jane-token" });
    expect(jane.status).toBe(403);
    expect(JSON.parse(jane.body).message).toBe(
      'customresourcedefinitions.apiextensions.k8s.io is forbidden: User "jane" cannot list resource "customresourcedefinitions" in API group "apiextensions.k8s.io" at the cluster scope',
    );
    // nothing else of the group exists
    expect((await call("GET", `${path}/x`, { cert: admin })).body).toBe("404 page not found\n");
  });

  it("refuses callers who may not make a request before saying what else is wrong with it", async () => {
    const bad = { headers: { "Content-Type": "application/json" }, body: "{" };
    const anonymous = await call("POST", "/api/v1/namespaces/default/configmaps", bad);
    expect(JSON.parse(anonymous.body)).toMatchObject({
      code: 403,
      message:
        'configmaps is forbidden: User "system:anonymous" cannot create resource "configmaps" in API group "" in the namespace "default"',
    });
    expect(
      (await call("POST", "/api/v1/namespaces/default/configmaps", { ...bad, cert: admin })).status,
    ).toBe(400);
    const unknown = await call("GET", "/apis/example.com/v1/widgets", { token: "jane-token" });
    expect(JSON.parse(unknown.body).message).toBe(
      'widgets.example.com is forbidden: User "jane" cannot list resource "widgets" in API group "example.com" at the cluster scope',
    );
    expect((await call("GET", "/apis/example.com/v1/widgets", { cert: admin })).body).toBe(
      "404 page not found\n",
    );
  });

  it("answers a watch that cannot start with a plain Status", async () => {
    const r = await call(
      "GET",
      "/api/v1/namespaces/default/configmaps?watch=true&fieldSelector=spec.nope%3Dx",
      { cert: admin },
    );
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({ kind: "Status", reason: "BadRequest" });
  });

  it("ends open watches when it closes", async () => {
    const watch = call("GET", "/api/v1/namespaces/default/configmaps?watch=true", { cert: admin });
    await new Promise((r) => setTimeout(r, 200));
    const closing = server.close();
    const r = await watch;
    await closing;
    expect(r.status).toBe(200);
    expect(
      r.body
        .trimEnd()
        .split("\n")
        .map((l) => (JSON.parse(l) as { type: string }).type),
    ).toEqual(["ADDED"]);
  });

  it("counts every request in apiserver_request_total", async () => {
    const text = await metrics.getSingleMetricAsString("apiserver_request_total");
    expect(text).toContain(
      'apiserver_request_total{verb="LIST",group="",version="v1",resource="namespaces",subresource="",scope="cluster",component="apiserver",code="401",service="apiserver"} 1',
    );
    expect(text).toContain(
      'apiserver_request_total{verb="WATCH",group="",version="v1",resource="configmaps",subresource="",scope="namespace",component="apiserver",code="200",service="apiserver"} 2',
    );
  });
});
