/**
 * A small HTTPS client for the end-to-end tests of the apiserver: one request to the real
 * process as the administrator (client certificate `O=system:masters`), as anonymous (no
 * credentials), or with a bearer token — the three ways the reference's cases call it. It reads the
 * whole answer and keeps the raw body, so tests can compare exact bytes (the 401 body) as well as
 * parsed JSON.
 */
import { readFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import type { TestStack } from "@tokenplane/testing";

/**
 * Parsed Kubernetes JSON: tests read arbitrary objects and assert exact values, so the shape is
 * left open here.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Json = any;

/** Who makes a request: the administrator, nobody, or the bearer of a token. */
export type Caller = "admin" | "anonymous" | { readonly token: string };

/** A complete HTTP answer. */
export interface ApiResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body as text (UTF-8). */
  readonly body: string;
  /** The body parsed as JSON (throws when it is not JSON). */
  json(): Json;
}

/** Options of one request. */
export interface CallOptions {
  /** Default `"admin"`. */
  readonly as?: Caller;
  /** A JSON value (sent as `application/json`) or raw text. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The client bound to one stack. */
export interface ApiClient {
  call(method: string, path: string, options?: CallOptions): Promise<ApiResponse>;
  get(path: string, as?: Caller): Promise<ApiResponse>;
  post(path: string, body: unknown, as?: Caller): Promise<ApiResponse>;
  put(path: string, body: unknown, as?: Caller): Promise<ApiResponse>;
  delete(path: string, body?: unknown, as?: Caller): Promise<ApiResponse>;
  /** `application/merge-patch+json` PATCH. */
  mergePatch(path: string, patch: unknown, as?: Caller): Promise<ApiResponse>;
  /** POST that must answer `expected` (default 201); returns the parsed object. */
  create(path: string, body: unknown, expected?: number): Promise<Json>;
  /**
   * A watch (`path` with `?watch=1&...`) as the administrator: the HTTP status and the events
   * received until `count` arrived or `timeoutMs` (default 3000) passed.
   */
  watch(path: string, count: number, timeoutMs?: number): Promise<{ status: number; events: Json[] }>;
}

/** A client for `stack.apiserverUrl` that trusts the stack's CA. */
export function apiClient(stack: TestStack): ApiClient {
  const ca = readFileSync(stack.layout.ca.cert);
  const admin = { cert: readFileSync(stack.layout.admin.cert), key: readFileSync(stack.layout.admin.key) };

  const call = (method: string, path: string, options: CallOptions = {}): Promise<ApiResponse> => {
    const as = options.as ?? "admin";
    const url = new URL(path, stack.apiserverUrl);
    const headers: Record<string, string> = { Accept: "application/json" };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
      headers["Content-Type"] = "application/json";
      // Node's client sends a DELETE body without framing unless the length is given.
      headers["Content-Length"] = String(Buffer.byteLength(body));
    }
    Object.assign(headers, options.headers);
    if (typeof as === "object") headers.Authorization = `Bearer ${as.token}`;
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          method,
          host: url.hostname,
          port: url.port,
          path: `${url.pathname}${url.search}`,
          ca,
          ...(as === "admin" ? admin : {}),
          headers,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: text,
              json: () => JSON.parse(text),
            });
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  };

  return {
    call,
    get: (path, as) => call("GET", path, { ...(as ? { as } : {}) }),
    post: (path, body, as) => call("POST", path, { body, ...(as ? { as } : {}) }),
    put: (path, body, as) => call("PUT", path, { body, ...(as ? { as } : {}) }),
    delete: (path, body, as) =>
      call("DELETE", path, { ...(body !== undefined ? { body } : {}), ...(as ? { as } : {}) }),
    mergePatch: (path, patch, as) =>
      call("PATCH", path, {
        body: patch,
        headers: { "Content-Type": "application/merge-patch+json" },
        ...(as ? { as } : {}),
      }),
    watch(path, count, timeoutMs = 3000) {
      const url = new URL(path, stack.apiserverUrl);
      return new Promise((resolve, reject) => {
        const events: Json[] = [];
        let status = 0;
        let buffered = "";
        const req = httpsRequest(
          {
            host: url.hostname,
            port: url.port,
            path: `${url.pathname}${url.search}`,
            ca,
            ...admin,
            headers: { Accept: "application/json" },
            agent: false,
          },
          (res) => {
            status = res.statusCode ?? 0;
            res.on("data", (chunk: Buffer) => {
              buffered += chunk.toString("utf8");
              let end = buffered.indexOf("\n");
              while (end !== -1) {
                const line = buffered.slice(0, end).trim();
                buffered = buffered.slice(end + 1);
                if (line !== "") events.push(JSON.parse(line));
                end = buffered.indexOf("\n");
              }
              if (events.length >= count) finish();
            });
            res.on("end", finish);
          },
        );
        const timer = setTimeout(() => finish(), timeoutMs);
        function finish() {
          clearTimeout(timer);
          req.destroy();
          resolve({ status, events });
        }
        req.on("error", (err) => (status === 0 ? reject(err) : finish()));
        req.end();
      });
    },
    async create(path, body, expected = 201) {
      const r = await call("POST", path, { body });
      if (r.status !== expected) {
        throw new Error(`POST ${path}: expected ${expected}, got ${r.status}: ${r.body}`);
      }
      return r.json();
    },
  };
}

/** The exact 401 body kube-apiserver writes for any failed authentication (reference §1.3). */
export const UNAUTHORIZED_BODY =
  '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}\n';

/** A failure Status as Kubernetes writes it (field order of metav1.Status). */
export function failureStatus(
  code: number,
  reason: string,
  message: string,
  details?: Record<string, unknown>,
): Record<string, unknown> {
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

/** The decoded header and payload of a compact JWS (no verification). */
export function decodeJwt(token: string): { header: Json; payload: Json } {
  const [h, p] = token.split(".");
  if (h === undefined || p === undefined) throw new Error("not a compact JWS");
  return {
    header: JSON.parse(Buffer.from(h, "base64url").toString("utf8")),
    payload: JSON.parse(Buffer.from(p, "base64url").toString("utf8")),
  };
}

/** Seconds since the epoch, as JWT NumericDates count. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Polls `check` every `intervalMs` until it returns a value other than undefined, or throws at `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 10_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
