/**
 * The HTTP handler of the two discovery endpoints (pkg/routes/openidmetadata.go, reference §6.2):
 *
 * - exact paths only: `/.well-known/openid-configuration` and `/openid/v1/jwks`; anything else,
 *   including `/.well-known` and `/openid/v1/jwks/foo`, is Go's `404 page not found`; query string
 *   and fragment are ignored (TestURLBoundaries);
 * - `Content-Type: application/json` (discovery) / `application/jwk-set+json` (JWKS), both with
 *   `Cache-Control: public, max-age=3600`;
 * - GET and HEAD (same headers, no body); other methods 405 with `Allow: GET, HEAD`;
 * - a strong `ETag` per document and `If-None-Match` → 304 Not Modified (RFC 9110 §13.1.2:
 *   weak comparison, `*` matches any current document);
 * - no authentication: the documents are public (reference §6.4 is the apiserver's RBAC; relying
 *   parties outside the cluster reach this service instead).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  JWKS_CONTENT_TYPE,
  JWKS_PATH,
  OPENID_CACHE_CONTROL,
  OPENID_CONFIG_CONTENT_TYPE,
  OPENID_CONFIG_PATH,
} from "@tokenplane/crypto";
import { counter, histogram, type Logger, type MetricsRegistry } from "@tokenplane/runtime";
import type { DiscoveryDocuments, ServedDocument } from "../documents/discovery-documents.js";

/** Options of {@link createDiscoveryHandler}. */
export interface DiscoveryHandlerOptions {
  /** The documents to serve now; undefined while no key set is loaded (→ 503). */
  readonly documents: () => DiscoveryDocuments | undefined;
  /** Each request is logged at debug; none = silent. */
  readonly log?: Logger;
  /**
   * Where `oidc_discovery_requests_total{path,code}` and
   * `oidc_discovery_request_duration_seconds{path}` are registered; none = not counted. `path` is
   * the document's path, or `other` for every path that is not served (bounded cardinality).
   */
  readonly metrics?: MetricsRegistry;
}

/** A node:http request listener. */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Body and type of Go's `http.NotFound`, which kube-apiserver answers unknown paths with. */
const NOT_FOUND_BODY = "404 page not found\n";
const TEXT_PLAIN = "text/plain; charset=utf-8";
const ALLOW = "GET, HEAD";

/** Which document a path names; undefined for every other path. */
type Route = { readonly which: "configuration" | "jwks"; readonly contentType: string };

const ROUTES: ReadonlyMap<string, Route> = new Map([
  [OPENID_CONFIG_PATH, { which: "configuration", contentType: OPENID_CONFIG_CONTENT_TYPE }],
  [JWKS_PATH, { which: "jwks", contentType: JWKS_CONTENT_TYPE }],
]);

/**
 * The path of a request target (RFC 9112 §3.2): origin form `/p?q` → `/p`, absolute form
 * `https://h/p?q` → `/p`; query and fragment dropped; nothing else is normalised (exact match).
 */
export function requestPath(target: string): string {
  if (target.startsWith("/")) {
    const end = target.search(/[?#]/);
    return end === -1 ? target : target.slice(0, end);
  }
  try {
    return new URL(target).pathname;
  } catch {
    return target;
  }
}

/**
 * True when an `If-None-Match` header value matches `etag` (weak comparison: `W/` prefixes
 * ignored; a list matches when any member does; `*` matches).
 */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const value = header.trim();
  if (value === "*") return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, "");
  const wanted = opaque(etag);
  // Entity tags are quoted strings without `"` inside, so splitting at commas outside quotes is
  // splitting at every comma that follows a closing quote.
  return (value.match(/(?:W\/)?"[^"]*"/g) ?? []).some((tag) => opaque(tag) === wanted);
}

function sendText(res: ServerResponse, status: number, text: string, head: boolean): void {
  res.writeHead(status, {
    "Content-Type": TEXT_PLAIN,
    "X-Content-Type-Options": "nosniff",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(head ? undefined : text);
}

function sendDocument(
  req: IncomingMessage,
  res: ServerResponse,
  doc: ServedDocument,
  contentType: string,
  head: boolean,
): number {
  // 304 carries the headers a 200 would have that matter for caches (RFC 9110 §15.4.5).
  if (ifNoneMatchMatches(req.headers["if-none-match"], doc.etag)) {
    res.writeHead(304, { ETag: doc.etag, "Cache-Control": OPENID_CACHE_CONTROL });
    res.end();
    return 304;
  }
  res.writeHead(200, {
    "Content-Type": contentType,
    "Cache-Control": OPENID_CACHE_CONTROL,
    ETag: doc.etag,
    "X-Content-Type-Options": "nosniff",
    "Content-Length": doc.body.length,
  });
  res.end(head ? undefined : doc.body);
  return 200;
}

/** Builds the request listener; see the module comment for the behaviour. */
export function createDiscoveryHandler(options: DiscoveryHandlerOptions): RequestListener {
  const { documents, log } = options;
  const requests =
    options.metrics &&
    counter(options.metrics, {
      name: "oidc_discovery_requests_total",
      help: "Requests to the discovery endpoints by document path (other = not served) and HTTP status code.",
      labelNames: ["path", "code"] as const,
    });
  const duration =
    options.metrics &&
    histogram(options.metrics, {
      name: "oidc_discovery_request_duration_seconds",
      help: "Time to answer a request to the discovery endpoints, seconds.",
      labelNames: ["path"] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
    });
  return (req, res) => {
    const started = performance.now();
    const method = req.method ?? "GET";
    const path = requestPath(req.url ?? "/");
    const head = method === "HEAD";
    let status: number;
    const route = ROUTES.get(path);
    if (route === undefined) {
      sendText(res, 404, NOT_FOUND_BODY, head);
      status = 404;
    } else if (method !== "GET" && !head) {
      res.setHeader("Allow", ALLOW);
      sendText(res, 405, "405: Method Not Allowed", false);
      status = 405;
    } else {
      const docs = documents();
      if (docs === undefined) {
        res.setHeader("Retry-After", "1");
        sendText(res, 503, "the service-account key set is not loaded yet\n", head);
        status = 503;
      } else {
        status = sendDocument(req, res, docs[route.which], route.contentType, head);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const pathLabel = route === undefined ? "other" : path;
    requests?.inc({ path: pathLabel, code: String(status) });
    duration?.observe({ path: pathLabel }, seconds);
    log?.debug({ method, path, status, ms: Math.round(seconds * 1_000_000) / 1000 }, "http request");
  };
}
