/**
 * Test helper (not used by production code): a throwaway HTTPS server that serves only the
 * discovery and OpenAPI documents of this package (plus what a test adds with `handle`), records
 * every request, and runs the real `kubectl` (1.32 on PATH) against it with its own HOME and cache
 * directory. The certificate is self-signed, made with `openssl` in a temp directory.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  negotiateDiscovery,
} from "../discovery/index.js";
import { negotiateOpenApiV2, openApiV2Document } from "./openapi-v2.js";
import { openApiV3Index, openApiV3Response } from "./openapi-v3.js";

/** One request the server received. */
export interface RecordedRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A test's answer to a request the documents do not cover. */
export interface TestResponse {
  status: number;
  contentType?: string;
  body: string;
}

export interface TestServerOptions {
  /** The minor version `/version` reports (the kubectl dispatcher runs the matching binary). Default "32". */
  minor?: string;
  /** Answers requests outside discovery/OpenAPI; undefined → 404 Status. */
  handle?: (req: RecordedRequest) => TestResponse | undefined;
}

export interface KubectlRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestApiServer {
  url: string;
  requests: RecordedRequest[];
  /** Runs kubectl against the server; `input` is written to stdin (`-f -`). */
  kubectl(args: string[], input?: string): Promise<KubectlRun>;
  close(): Promise<void>;
}

const notFound = JSON.stringify({
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Failure",
  message: "the server could not find the requested resource",
  reason: "NotFound",
  details: {},
  code: 404,
});

/** Starts the server on a free loopback port. */
export async function startTestApiServer(options: TestServerOptions = {}): Promise<TestApiServer> {
  const dir = mkdtempSync(join(tmpdir(), "tokenplane-kubectl-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  const requests: RecordedRequest[] = [];
  const server: Server = createServer(
    { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const rec: RecordedRequest = {
          method: req.method ?? "GET",
          url: req.url ?? "/",
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        };
        requests.push(rec);
        const url = new URL(rec.url, "https://127.0.0.1");
        const p = url.pathname;
        const send = (status: number, contentType: string, body: string | Uint8Array, extra = {}) => {
          res.writeHead(status, { "Content-Type": contentType, ...extra });
          res.end(body);
        };
        const accept = req.headers.accept;
        if (rec.method === "GET" && p === "/version") {
          const minor = options.minor ?? "32";
          return send(
            200,
            "application/json",
            JSON.stringify({
              major: "1",
              minor,
              gitVersion: `v1.${minor}.0-tokenplane`,
              platform: "linux/amd64",
            }),
          );
        }
        if (rec.method === "GET" && (p === "/api" || p === "/apis")) {
          const choice = negotiateDiscovery(accept);
          if (!choice) return send(406, "application/json", "{}");
          const body =
            choice.form === "legacy"
              ? p === "/api"
                ? apiVersions(url.host)
                : apiGroupList()
              : aggregatedDiscovery(p === "/api" ? "api" : "apis", choice.form);
          return send(200, choice.contentType, JSON.stringify(body));
        }
        const gv = /^\/(?:api\/([^/]+)|apis\/([^/]+)(?:\/([^/]+))?)$/.exec(p);
        if (rec.method === "GET" && gv) {
          const doc = gv[1]
            ? apiResourceList("", gv[1])
            : gv[3]
              ? apiResourceList(gv[2] ?? "", gv[3])
              : apiGroup(gv[2] ?? "");
          if (doc) return send(200, "application/json", JSON.stringify(doc));
        }
        if (rec.method === "GET" && p === "/openapi/v3")
          return send(200, "application/json", openApiV3Index().body);
        if (rec.method === "GET" && p.startsWith("/openapi/v3/")) {
          const r = openApiV3Response(
            p.slice("/openapi/v3/".length),
            url.searchParams.get("hash") ?? undefined,
            req.headers["if-none-match"],
            Date.now(),
          );
          res.writeHead(r.status, r.headers);
          res.end(r.body);
          return;
        }
        if (rec.method === "GET" && p === "/openapi/v2") {
          const choice = negotiateOpenApiV2(accept);
          if (!choice) return send(406, "application/json", "{}");
          const doc = openApiV2Document();
          return send(200, choice.contentType, choice.form === "json" ? doc.json : doc.protobuf);
        }
        const answer = options.handle?.(rec);
        if (answer) return send(answer.status, answer.contentType ?? "application/json", answer.body);
        send(404, "application/json", notFound);
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `https://127.0.0.1:${port}`;
  const home = join(dir, "home");
  const cacheDir = join(dir, "cache");
  writeFileSync(join(dir, "empty.kubeconfig"), "apiVersion: v1\nkind: Config\n");

  const kubectl = (args: string[], input?: string): Promise<KubectlRun> =>
    new Promise((resolve, reject) => {
      const child = execFile(
        process.env.KUBECTL ?? "kubectl",
        [
          "--kubeconfig",
          join(dir, "empty.kubeconfig"),
          "--server",
          url,
          "--insecure-skip-tls-verify",
          "--token",
          "x",
          "--cache-dir",
          cacheDir,
          ...args,
        ],
        { env: { ...process.env, HOME: home, KUBECONFIG: "" }, timeout: 20_000 },
        (err, stdout, stderr) => {
          if (err && typeof (err as { code?: unknown }).code !== "number") {
            reject(err);
            return;
          }
          resolve({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr });
        },
      );
      if (input !== undefined) child.stdin?.end(input);
    });

  return {
    url,
    requests,
    kubectl,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
