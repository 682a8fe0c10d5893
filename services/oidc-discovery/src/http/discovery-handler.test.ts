import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { verificationKeyFrom } from "@tokenplane/crypto";
import { createMetrics, metricValue } from "@tokenplane/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DiscoveryDocuments, renderDiscoveryDocuments } from "../documents/discovery-documents.js";
import {
  ecReferenceKey,
  REFERENCE_DISCOVERY,
  REFERENCE_ISSUER,
  REFERENCE_JWKS,
  rsaReferenceKey,
} from "../testdata/reference-vectors.js";
import { createDiscoveryHandler, ifNoneMatchMatches, requestPath } from "./discovery-handler.js";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const docs: DiscoveryDocuments = renderDiscoveryDocuments(
  { issuer: REFERENCE_ISSUER, jwksUri: `${REFERENCE_ISSUER}/openid/v1/jwks`, externalAddress: "" },
  [verificationKeyFrom(rsaReferenceKey()), verificationKeyFrom(ecReferenceKey())],
);
let current: DiscoveryDocuments | undefined = docs;
let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer(createDiscoveryHandler({ documents: () => current }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

// Raw request targets (node:http sends `path` as given, so odd targets reach the server as is).
function send(method: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

const CONFIG = "/.well-known/openid-configuration";
const JWKS = "/openid/v1/jwks";

describe("routing (TestURLBoundaries, reference §6.2)", () => {
  it.each<[string, number, string | undefined]>([
    [CONFIG, 200, REFERENCE_DISCOVERY],
    [JWKS, 200, REFERENCE_JWKS],
    [`${CONFIG}?foo=bar`, 200, REFERENCE_DISCOVERY],
    [`${JWKS}?foo=bar`, 200, REFERENCE_JWKS],
    [`${JWKS}#frag`, 200, REFERENCE_JWKS],
    [`${JWKS}?a=b#frag`, 200, REFERENCE_JWKS],
    [`https://oidc.example.com${JWKS}?x=1`, 200, REFERENCE_JWKS],
    ["/.well-known", 404, "404 page not found\n"],
    ["/.well-known/", 404, "404 page not found\n"],
    [`${CONFIG}/`, 404, "404 page not found\n"],
    [`${JWKS}/foo`, 404, "404 page not found\n"],
    [`${JWKS}/`, 404, "404 page not found\n"],
    ["/openid/v1", 404, "404 page not found\n"],
    ["/openid/v1/JWKS", 404, "404 page not found\n"],
    ["//openid/v1/jwks", 404, "404 page not found\n"],
    ["/", 404, "404 page not found\n"],
  ])("GET %s → %i", async (path, status, body) => {
    const reply = await send("GET", path);
    expect(reply.status).toBe(status);
    expect(reply.body).toBe(body);
  });

  it("404 is Go's http.NotFound", async () => {
    const reply = await send("GET", "/metrics");
    expect(reply.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(reply.headers["x-content-type-options"]).toBe("nosniff");
    expect(reply.headers["cache-control"]).toBeUndefined();
  });
});

describe("headers (reference §6.2)", () => {
  it("discovery: application/json, public max-age 3600, entity tag, length", async () => {
    const reply = await send("GET", CONFIG);
    expect(reply.headers["content-type"]).toBe("application/json");
    expect(reply.headers["cache-control"]).toBe("public, max-age=3600");
    expect(reply.headers.etag).toBe(docs.configuration.etag);
    expect(reply.headers["content-length"]).toBe(String(Buffer.byteLength(REFERENCE_DISCOVERY)));
  });

  it("JWKS: application/jwk-set+json, public max-age 3600, entity tag, length", async () => {
    const reply = await send("GET", JWKS);
    expect(reply.headers["content-type"]).toBe("application/jwk-set+json");
    expect(reply.headers["cache-control"]).toBe("public, max-age=3600");
    expect(reply.headers.etag).toBe(docs.jwks.etag);
    expect(reply.headers["content-length"]).toBe(String(Buffer.byteLength(REFERENCE_JWKS)));
  });
});

describe("methods", () => {
  it("HEAD: the GET headers without a body", async () => {
    for (const [path, doc, type] of [
      [CONFIG, docs.configuration, "application/json"],
      [JWKS, docs.jwks, "application/jwk-set+json"],
    ] as const) {
      const reply = await send("HEAD", `${path}?q=1`);
      expect(reply.status).toBe(200);
      expect(reply.body).toBe("");
      expect(reply.headers["content-type"]).toBe(type);
      expect(reply.headers["cache-control"]).toBe("public, max-age=3600");
      expect(reply.headers.etag).toBe(doc.etag);
      expect(reply.headers["content-length"]).toBe(String(doc.body.length));
    }
  });

  it("HEAD of an unknown path is 404 without a body", async () => {
    const reply = await send("HEAD", "/.well-known");
    expect(reply.status).toBe(404);
    expect(reply.body).toBe("");
  });

  it.each(["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])("%s → 405 with Allow", async (method) => {
    const reply = await send(method, JWKS);
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe("GET, HEAD");
    expect(reply.body).toBe("405: Method Not Allowed");
  });
});

describe("conditional GET", () => {
  it.each<[string, (etag: string) => string, number]>([
    ["the current tag", (t) => t, 304],
    ["the tag as weak", (t) => `W/${t}`, 304],
    ["in a list", (t) => `"other", ${t}`, 304],
    ["*", () => "*", 304],
    ["another tag", () => '"other"', 200],
    ["the tag unquoted", (t) => t.slice(1, -1), 200],
  ])("If-None-Match with %s → %i", async (_name, header, status) => {
    for (const [path, doc] of [
      [CONFIG, docs.configuration],
      [JWKS, docs.jwks],
    ] as const) {
      const reply = await send("GET", path, { "If-None-Match": header(doc.etag) });
      expect(reply.status).toBe(status);
      if (status === 304) {
        expect(reply.body).toBe("");
        expect(reply.headers.etag).toBe(doc.etag);
        expect(reply.headers["cache-control"]).toBe("public, max-age=3600");
      } else {
        expect(reply.body).toBe(doc.body.toString());
      }
    }
  });

  it("HEAD with a matching tag → 304", async () => {
    const reply = await send("HEAD", JWKS, { "If-None-Match": docs.jwks.etag });
    expect(reply.status).toBe(304);
  });

  it("a tag of the previous key set no longer matches", async () => {
    const old = docs.jwks.etag;
    current = renderDiscoveryDocuments(
      { issuer: REFERENCE_ISSUER, jwksUri: `${REFERENCE_ISSUER}/openid/v1/jwks`, externalAddress: "" },
      [verificationKeyFrom(ecReferenceKey())],
    );
    try {
      const reply = await send("GET", JWKS, { "If-None-Match": old });
      expect(reply.status).toBe(200);
      expect(reply.headers.etag).toBe(current.jwks.etag);
      expect(JSON.parse(reply.body).keys).toHaveLength(1);
    } finally {
      current = docs;
    }
  });
});

describe("before the first key set", () => {
  it("answers 503 on the two paths and 404 elsewhere", async () => {
    current = undefined;
    try {
      const jwks = await send("GET", JWKS);
      expect(jwks.status).toBe(503);
      expect(jwks.headers["retry-after"]).toBe("1");
      expect(jwks.body).toBe("the service-account key set is not loaded yet\n");
      expect((await send("GET", "/.well-known")).status).toBe(404);
    } finally {
      current = docs;
    }
  });
});

describe("requestPath and ifNoneMatchMatches", () => {
  it.each<[string, string]>([
    ["/a/b?c#d", "/a/b"],
    ["/a#b?c", "/a"],
    ["/a", "/a"],
    ["https://h:1/a/b?c", "/a/b"],
    ["*", "*"],
  ])("requestPath(%s) = %s", (target, want) => {
    expect(requestPath(target)).toBe(want);
  });

  it.each<[string | undefined, boolean]>([
    [undefined, false],
    ['"abc"', true],
    ['W/"abc"', true],
    [' "x" , W/"abc" ', true],
    ['"abcd"', false],
    ["abc", false],
    ["*", true],
  ])('If-None-Match %s matches "abc": %s', (header, want) => {
    expect(ifNoneMatchMatches(header, '"abc"')).toBe(want);
  });
});

describe("metrics", () => {
  it("counts requests by document path and status code, unserved paths as `other`", async () => {
    const registry = createMetrics({ service: "oidc-discovery", defaultMetrics: false });
    const counted = createServer(createDiscoveryHandler({ documents: () => current, metrics: registry }));
    await new Promise<void>((resolve) => counted.listen(0, "127.0.0.1", resolve));
    const port = (counted.address() as AddressInfo).port;
    const get = (path: string) =>
      new Promise<number>((resolve, reject) => {
        request({ host: "127.0.0.1", port, path }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        })
          .on("error", reject)
          .end();
      });
    try {
      expect(await get(CONFIG)).toBe(200);
      expect(await get(`${CONFIG}?x=1`)).toBe(200);
      expect(await get("/secret-path-1")).toBe(404);
      expect(await get("/secret-path-2")).toBe(404);
      const total = (labels: Record<string, string>) =>
        metricValue(registry, "oidc_discovery_requests_total", labels);
      expect(await total({ path: CONFIG, code: "200" })).toBe(2);
      expect(await total({ path: "other", code: "404" })).toBe(2);
      expect(await metricValue(registry, "oidc_discovery_request_duration_seconds", { path: CONFIG })).toBe(
        2,
      );
      // Unserved paths never become label values.
      expect(await registry.metrics()).not.toContain("secret-path");
    } finally {
      await new Promise((resolve) => counted.close(resolve));
    }
  });
});
