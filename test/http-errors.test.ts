/**
 * Bad requests to the HTTPS API get Kubernetes' Status, byte for byte: malformed JSON, YAML and
 * protobuf bodies (400), unknown fields under `fieldValidation=Strict` (400 naming the field) and
 * `Warn` (a Warning header), unsupported media types (415), unacceptable Accept (406), bodies
 * over the size cap (413), anonymous requests (403), bad tokens (401 with the exact body),
 * unknown resources (404), stale resourceVersions (409) and invalid objects (422 with causes).
 * Also the headers every response carries and the OIDC documents' own.
 */

import { readFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { create, toBinary } from "@bufbuild/protobuf";
import { encodeProtobufEnvelope } from "@tokenplane/apimachinery";
import { authnv1 } from "@tokenplane/proto";
import { startTestStack, type TestStack } from "@tokenplane/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let stack: TestStack;
let ca: Buffer;
let admin: { cert: Buffer; key: Buffer };

interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

type Who = "admin" | "anonymous" | { token: string };

/** One HTTPS request to the apiserver as `who`. */
function call(
  method: string,
  path: string,
  options: { who?: Who; body?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<Response> {
  const who = options.who ?? "admin";
  const url = new URL(path, stack.apiserverUrl);
  const headers: Record<string, string> = { ...options.headers };
  if (typeof who === "object") headers.Authorization = `Bearer ${who.token}`;
  // Node's client sends a DELETE body without framing unless the length is given
  if (options.body !== undefined) headers["Content-Length"] = String(Buffer.byteLength(options.body));
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        method,
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        ca,
        ...(who === "admin" ? admin : {}),
        headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

const json = { "Content-Type": "application/json" };
const sas = "/api/v1/namespaces/default/serviceaccounts";

/** A failure Status as Kubernetes writes it. */
function status(code: number, reason: string, message: string, details?: Record<string, unknown>) {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

beforeAll(async () => {
  stack = await startTestStack({ services: ["apiserver"] });
  ca = readFileSync(stack.layout.ca.cert);
  admin = { cert: readFileSync(stack.layout.admin.cert), key: readFileSync(stack.layout.admin.key) };
  const r = await call("POST", sas, {
    headers: json,
    body: JSON.stringify({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "existing" } }),
  });
  expect(r.status).toBe(201);
});

afterAll(async () => {
  await stack?.close();
});

describe("HTTP errors of the Kubernetes API", () => {
  it("400 for malformed JSON, with Go's parser text and the start of the body", async () => {
    const cut = await call("POST", sas, {
      headers: json,
      body: '{"apiVersion":"v1","kind":"ServiceAccount","metadata":',
    });
    expect(cut.status).toBe(400);
    expect(cut.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(cut.body)).toEqual(
      status(
        400,
        "BadRequest",
        `the object provided is unrecognized (must be of type ServiceAccount): couldn't get version/kind; json parse error: unexpected end of JSON input ({"apiVersion":"v1","kind":"Ser ...)`,
      ),
    );
    const bad = await call("POST", sas, { headers: json, body: '{"metadata": }' });
    expect(JSON.parse(bad.body).message).toBe(
      `the object provided is unrecognized (must be of type ServiceAccount): couldn't get version/kind; json parse error: invalid character '}' looking for beginning of value ({"metadata": })`,
    );
    // a missing Content-Type is JSON (kubectl create --raw sends none)
    const none = await call("POST", sas, { body: "{" });
    expect(JSON.parse(none.body).message).toBe(
      "the object provided is unrecognized (must be of type ServiceAccount): couldn't get version/kind; json parse error: unexpected end of JSON input ({)",
    );
    // a type error names the field
    const typed = await call("POST", sas, {
      headers: json,
      body: JSON.stringify({ metadata: { name: "typed" }, automountServiceAccountToken: "yes" }),
    });
    expect(JSON.parse(typed.body)).toEqual(
      status(
        400,
        "BadRequest",
        'ServiceAccount in version "v1" cannot be handled as a ServiceAccount: json: cannot unmarshal string into Go struct field ServiceAccount.automountServiceAccountToken of type bool',
      ),
    );
  });

  it("400 for malformed YAML", async () => {
    const r = await call("POST", sas, {
      headers: { "Content-Type": "application/yaml" },
      body: "metadata:\n  name: [x\n",
    });
    expect(r.status).toBe(400);
    const s = JSON.parse(r.body);
    expect(s.reason).toBe("BadRequest");
    expect(s.message).toMatch(
      /^the object provided is unrecognized \(must be of type ServiceAccount\): error converting YAML to JSON: yaml: line \d+: .+ \(6d657461646174613a0a20206e616d653a205b780a\)$/,
    );
    // well-formed YAML is accepted
    const ok = await call("POST", sas, {
      headers: { "Content-Type": "application/yaml" },
      body: "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: from-yaml\n",
    });
    expect(ok.status).toBe(201);
    expect(JSON.parse(ok.body).metadata.name).toBe("from-yaml");
  });

  it("400 for a body that is not a Kubernetes protobuf, or a broken one", async () => {
    const proto = { "Content-Type": "application/vnd.kubernetes.protobuf" };
    const r = await call("POST", sas, { headers: proto, body: "not protobuf" });
    expect(JSON.parse(r.body)).toEqual(
      status(
        400,
        "BadRequest",
        "the object provided is unrecognized (must be of type ServiceAccount): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] (6e6f742070726f746f627566)",
      ),
    );
    const truncated = await call("POST", sas, {
      headers: proto,
      body: new Uint8Array([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x20, 0x01]),
    });
    expect(truncated.status).toBe(400);
    expect(JSON.parse(truncated.body).message).toMatch(
      /^the object provided is unrecognized \(must be of type ServiceAccount\): .+ \(6b3873000a2001\)$/,
    );
    // the envelope's kind must be the URL's
    const secret = await call("POST", sas, {
      headers: proto,
      body: encodeProtobufEnvelope("v1", "Secret", new Uint8Array()),
    });
    expect(JSON.parse(secret.body)).toEqual(
      status(
        400,
        "BadRequest",
        'Secret in version "v1" cannot be handled as a ServiceAccount: converting (v1.Secret) to (core.ServiceAccount): unknown conversion',
      ),
    );
  });

  it("reads protobuf review bodies and answers in JSON (TokenReview)", async () => {
    const review = create(authnv1.TokenReviewSchema, { spec: { token: "not-a-jwt" } });
    const r = await call("POST", "/apis/authentication.k8s.io/v1/tokenreviews", {
      headers: {
        "Content-Type": "application/vnd.kubernetes.protobuf",
        Accept: "application/vnd.kubernetes.protobuf, application/json",
      },
      body: encodeProtobufEnvelope(
        "authentication.k8s.io/v1",
        "TokenReview",
        toBinary(authnv1.TokenReviewSchema, review),
      ),
    });
    expect(r.status).toBe(201);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(r.body)).toMatchObject({
      kind: "TokenReview",
      apiVersion: "authentication.k8s.io/v1",
      spec: { token: "not-a-jwt" },
      status: { user: {}, error: "invalid bearer token" },
    });
  });

  it("400 naming unknown fields under fieldValidation=Strict; warnings under Warn (the default)", async () => {
    const body = JSON.stringify({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "strict", labelz: { a: "b" } },
      spec: { foo: 1 },
    });
    const strict = await call("POST", `${sas}?fieldValidation=Strict`, { headers: json, body });
    expect(strict.status).toBe(400);
    expect(JSON.parse(strict.body)).toEqual(
      status(
        400,
        "BadRequest",
        'ServiceAccount in version "v1" cannot be handled as a ServiceAccount: strict decoding error: unknown field "metadata.labelz", unknown field "spec"',
      ),
    );
    const warn = await call("POST", sas, { headers: json, body });
    expect(warn.status).toBe(201);
    expect(warn.headers.warning).toBe(
      '299 - "unknown field \\"metadata.labelz\\"", 299 - "unknown field \\"spec\\""',
    );
    const ignore = await call("POST", `${sas}?fieldValidation=Ignore`, {
      headers: json,
      body: body.replace('"strict"', '"ignored"'),
    });
    expect(ignore.status).toBe(201);
    expect(ignore.headers.warning).toBeUndefined();
    const invalid = await call("POST", `${sas}?fieldValidation=Loose`, { headers: json, body });
    expect(JSON.parse(invalid.body)).toEqual(
      status(
        422,
        "Invalid",
        'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loose": supported values: "", "Ignore", "Strict", "Warn"',
        {
          group: "meta.k8s.io",
          kind: "CreateOptions",
          causes: [
            {
              reason: "FieldValueNotSupported",
              message: 'Unsupported value: "Loose": supported values: "", "Ignore", "Strict", "Warn"',
              field: "fieldValidation",
            },
          ],
        },
      ),
    );
    // strategic merge patches are checked too
    const patch = await call("PATCH", `${sas}/existing?fieldValidation=Strict`, {
      headers: { "Content-Type": "application/strategic-merge-patch+json" },
      body: '{"imagePullSecret":[{"name":"x"}]}',
    });
    expect(JSON.parse(patch.body)).toEqual(
      status(400, "BadRequest", 'strict decoding error: unknown field "imagePullSecret"'),
    );
  });

  it("415 for a content type the endpoint does not read", async () => {
    const r = await call("POST", sas, { headers: { "Content-Type": "text/plain" }, body: "{}" });
    expect(r.status).toBe(415);
    expect(JSON.parse(r.body)).toEqual(
      status(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf",
      ),
    );
    const patch = await call("PATCH", `${sas}/existing`, { headers: json, body: "{}" });
    expect(JSON.parse(patch.body)).toEqual(
      status(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml",
      ),
    );
  });

  it("406 when nothing in Accept can be produced", async () => {
    const r = await call("GET", `${sas}/existing`, { headers: { Accept: "text/html" } });
    expect(JSON.parse(r.body)).toEqual(
      status(
        406,
        "NotAcceptable",
        "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf",
      ),
    );
  });

  it("413 for a body over the 3 MiB limit", async () => {
    const big = JSON.stringify({
      metadata: { name: "big", annotations: { a: "x".repeat(3 * 1024 * 1024) } },
    });
    const r = await call("POST", sas, { headers: json, body: big });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body)).toEqual(
      status(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728"),
    );
  });

  it("403 for an anonymous request to a resource; health and version stay public", async () => {
    const r = await call("GET", sas, { who: "anonymous" });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toEqual(
      status(
        403,
        "Forbidden",
        'serviceaccounts is forbidden: User "system:anonymous" cannot list resource "serviceaccounts" in API group "" in the namespace "default"',
        { kind: "serviceaccounts" },
      ),
    );
    const health = await call("GET", "/healthz", { who: "anonymous" });
    expect(health).toMatchObject({ status: 200, body: "ok" });
    const version = await call("GET", "/version", { who: "anonymous" });
    expect(JSON.parse(version.body)).toMatchObject({
      major: "1",
      minor: "32",
      gitVersion: "v1.32.0-tokenplane",
    });
    const jwks = await call("GET", "/openid/v1/jwks", { who: "anonymous" });
    expect(jwks.status).toBe(403);
    expect(JSON.parse(jwks.body)).toEqual(
      status(403, "Forbidden", 'forbidden: User "system:anonymous" cannot get path "/openid/v1/jwks"', {}),
    );
  });

  it("401 with the bare Status for a bad token", async () => {
    const r = await call("GET", sas, { who: { token: "not-a-token" } });
    expect(r.status).toBe(401);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(r.body).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}\n',
    );
  });

  it("404 for unknown resources and paths", async () => {
    const r = await call("GET", "/api/v1/namespaces/default/widgets");
    expect(JSON.parse(r.body)).toEqual(
      status(404, "NotFound", "the server could not find the requested resource", {}),
    );
    const group = await call("GET", "/apis/example.com/v1/widgets");
    expect(group).toMatchObject({ status: 404, body: "404 page not found\n" });
    expect(group.headers["content-type"]).toBe("text/plain; charset=utf-8");
    const missing = await call("GET", `${sas}/nobody`);
    expect(JSON.parse(missing.body)).toEqual(
      status(404, "NotFound", 'serviceaccounts "nobody" not found', {
        name: "nobody",
        kind: "serviceaccounts",
      }),
    );
    const wrongMethod = await call("POST", `${sas}/existing`, { headers: json, body: "{}" });
    expect(JSON.parse(wrongMethod.body)).toEqual(
      status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {}),
    );
    const review = await call("POST", "/apis/authentication.k8s.io/v1/namespaces/default/tokenreviews", {
      headers: json,
      body: JSON.stringify({ spec: { token: "x" } }),
    });
    expect(JSON.parse(review.body)).toEqual(
      status(400, "BadRequest", "namespace is not allowed on this type: default"),
    );
  });

  it("201 for a PUT that creates a Role (create-on-update), 200 for one that replaces it", async () => {
    const path = "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles/put-created";
    const body = JSON.stringify({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "put-created", namespace: "default" },
      rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }],
    });
    const created = await call("PUT", path, { headers: json, body });
    expect([created.status, JSON.parse(created.body).metadata.name]).toEqual([201, "put-created"]);
    const replaced = await call("PUT", path, { headers: json, body });
    expect(replaced.status).toBe(200);
  });

  it("409 for a stale resourceVersion", async () => {
    const current = JSON.parse((await call("GET", `${sas}/existing`)).body);
    const first = await call("PUT", `${sas}/existing`, {
      headers: json,
      body: JSON.stringify({ ...current, metadata: { ...current.metadata, labels: { v: "1" } } }),
    });
    expect(first.status).toBe(200);
    const stale = await call("PUT", `${sas}/existing`, {
      headers: json,
      body: JSON.stringify({ ...current, metadata: { ...current.metadata, labels: { v: "2" } } }),
    });
    expect(JSON.parse(stale.body)).toEqual(
      status(
        409,
        "Conflict",
        'Operation cannot be fulfilled on serviceaccounts "existing": the object has been modified; please apply your changes to the latest version and try again',
        { name: "existing", kind: "serviceaccounts" },
      ),
    );
    const dup = await call("POST", sas, {
      headers: json,
      body: JSON.stringify({ metadata: { name: "existing" } }),
    });
    expect(JSON.parse(dup.body)).toEqual(
      status(409, "AlreadyExists", 'serviceaccounts "existing" already exists', {
        name: "existing",
        kind: "serviceaccounts",
      }),
    );
  });

  it("422 with causes for an invalid object", async () => {
    const r = await call("POST", sas, {
      headers: json,
      body: JSON.stringify({ metadata: { name: "Bad_Name" } }),
    });
    const detail =
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    expect(JSON.parse(r.body)).toEqual(
      status(
        422,
        "Invalid",
        `ServiceAccount "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": ${detail}`,
        {
          name: "Bad_Name",
          kind: "ServiceAccount",
          causes: [
            {
              reason: "FieldValueInvalid",
              message: `Invalid value: "Bad_Name": ${detail}`,
              field: "metadata.name",
            },
          ],
        },
      ),
    );
    const options = await call("DELETE", `${sas}/existing`, {
      headers: json,
      body: JSON.stringify({ propagationPolicy: "Sideways" }),
    });
    expect(JSON.parse(options.body).message).toBe(
      'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sideways": supported values: "Foreground", "Background", "Orphan"',
    );
  });

  it("sets Audit-Id, Cache-Control and the OIDC documents' own headers", async () => {
    const r = await call("GET", `${sas}/existing`, { headers: { "X-Request-Id": "req-123" } });
    expect(r.headers["audit-id"]).toBe("req-123");
    expect(r.headers["cache-control"]).toBe("no-cache, private");
    const config = await call("GET", "/.well-known/openid-configuration");
    expect(config.headers["content-type"]).toBe("application/json");
    expect(config.headers["cache-control"]).toBe("public, max-age=3600");
    expect(JSON.parse(config.body).issuer).toBe(stack.apiserverUrl);
    const jwks = await call("GET", "/openid/v1/jwks?x=1");
    expect(jwks.headers["content-type"]).toBe("application/jwk-set+json");
    expect(jwks.headers["cache-control"]).toBe("public, max-age=3600");
    expect((await call("GET", "/openid/v1/jwks/extra")).status).toBe(404);
    expect((await call("GET", "/.well-known")).status).toBe(404);
  });

  it("answers in YAML, as a Table, and dry-runs writes", async () => {
    const yaml = await call("GET", `${sas}/existing`, { headers: { Accept: "application/yaml" } });
    expect(yaml.headers["content-type"]).toBe("application/yaml");
    expect(yaml.body).toMatch(/^apiVersion: v1\nkind: ServiceAccount\nmetadata:\n/);
    // go-yaml quotes strings a YAML 1.1 reader would take for timestamps
    expect(yaml.body).toMatch(/^ {2}creationTimestamp: "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"$/m);
    const table = await call("GET", sas, {
      headers: { Accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json" },
    });
    expect(table.headers["content-type"]).toBe("application/json;as=Table;v=v1;g=meta.k8s.io");
    const t = JSON.parse(table.body);
    expect(t.kind).toBe("Table");
    expect(t.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(["Name", "Secrets", "Age"]);
    expect(t.rows.map((row: { cells: unknown[] }) => row.cells.slice(0, 2))).toContainEqual(["existing", 0]);

    const dry = await call("POST", `${sas}?dryRun=All`, {
      headers: json,
      body: JSON.stringify({ metadata: { name: "dry" } }),
    });
    expect(dry.status).toBe(201);
    expect(JSON.parse(dry.body).metadata.resourceVersion).toBeUndefined();
    expect((await call("GET", `${sas}/dry`)).status).toBe(404);
    const badDry = await call("POST", `${sas}?dryRun=Some`, { headers: json, body: "{}" });
    expect(JSON.parse(badDry.body).message).toBe(
      'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Some"}: supported values: "All"',
    );
  });
});
