/**
 * The non-resource paths of kube-apiserver: `/version`, the health endpoints, discovery (`/api`,
 * `/apis`, `/api/v1`, `/apis/<g>[/<v>]`), OpenAPI (`/openapi/v3[/...]`, `/openapi/v2`) and the
 * service-account issuer's OIDC documents. Every one is authorized first as a non-resource URL
 * (`api.authorizeNonResource`): RBAC's bootstrap roles give the health and version paths to
 * everyone, discovery and OpenAPI to authenticated users, the OIDC documents to service accounts
 * (reference §6.4). Unknown paths are `404 page not found` (text/plain), as Go's mux says.
 */
import type { ApiRequest } from "./api-request.js";
import {
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  negotiateDiscovery,
} from "./discovery/index.js";
import { newNotAcceptableError, newRouteMethodNotAllowed } from "./http-status.js";
import { negotiateOpenApiV2, openApiV2Document, openApiV3Index, openApiV3Response } from "./openapi/index.js";
import { encodeJson, setWarnings, writeRaw } from "./responses.js";

/** The version tokenplane reports: kubectl's dispatcher picks its 1.32 binary from `minor`. */
export const versionInfo = {
  major: "1",
  minor: "32",
  gitVersion: "v1.32.0-tokenplane",
  gitCommit: "0000000000000000000000000000000000000000",
  gitTreeState: "clean",
  buildDate: "2024-12-11T00:00:00Z",
  goVersion: `node${process.versions.node}`,
  compiler: "gc",
  platform: `linux/amd64`,
} as const;

const healthPaths = new Set(["/healthz", "/livez", "/readyz"]);

/** Writes the 404 of an unknown non-API path. */
export function writePageNotFound(r: ApiRequest): void {
  r.res.setHeader("X-Content-Type-Options", "nosniff");
  writeRaw(r.res, 404, "text/plain; charset=utf-8", "404 page not found\n");
}

/** `/healthz`, `/livez`, `/readyz` (and `?verbose`), with their `ping` and readiness checks. */
function health(r: ApiRequest, path: string): boolean {
  const m = /^\/(healthz|livez|readyz)(?:\/([a-z-]+))?$/.exec(path);
  if (!m) return false;
  const endpoint = m[1]!;
  const ready = endpoint !== "readyz" || (r.deps.ready?.() ?? true);
  const checks: [string, boolean][] = [
    ["ping", true],
    ["log", true],
  ];
  if (endpoint === "readyz") checks.push(["informer-sync", ready]);
  const single = m[2];
  r.res.setHeader("X-Content-Type-Options", "nosniff");
  if (single !== undefined) {
    const check = checks.find(([name]) => name === single);
    if (!check) return false;
    writeRaw(
      r.res,
      check[1] ? 200 : 500,
      "text/plain; charset=utf-8",
      check[1] ? "ok" : `internal server error: ${single} failed`,
    );
    return true;
  }
  const healthy = checks.every(([, ok]) => ok);
  const verbose = r.url.searchParams.has("verbose");
  if (!verbose && healthy) {
    writeRaw(r.res, 200, "text/plain; charset=utf-8", "ok");
    return true;
  }
  const lines = checks.map(([name, ok]) => (ok ? `[+]${name} ok` : `[-]${name} failed: reason withheld`));
  lines.push(healthy ? `${endpoint} check passed` : `${endpoint} check failed`);
  writeRaw(r.res, healthy ? 200 : 500, "text/plain; charset=utf-8", `${lines.join("\n")}\n`);
  return true;
}

/** Discovery documents; false when the path is not a discovery path. */
function discovery(r: ApiRequest, path: string): boolean {
  const accept = r.req.headers.accept;
  if (path === "/api" || path === "/apis") {
    const choice = negotiateDiscovery(accept);
    if (!choice) throw newNotAcceptableError(["application/json"]);
    const body =
      choice.form === "legacy"
        ? path === "/api"
          ? apiVersions(r.deps.externalAddress)
          : apiGroupList()
        : aggregatedDiscovery(path === "/api" ? "api" : "apis", choice.form);
    r.res.setHeader("Vary", "Accept");
    writeRaw(r.res, 200, choice.contentType, encodeJson(body));
    return true;
  }
  const m = /^\/(?:api\/([^/]+)|apis\/([^/]+)(?:\/([^/]+))?)$/.exec(path);
  if (!m) return false;
  const doc = m[1]
    ? apiResourceList("", m[1])
    : m[3]
      ? apiResourceList(m[2] ?? "", m[3])
      : apiGroup(m[2] ?? "");
  if (!doc) return false;
  writeRaw(r.res, 200, "application/json", encodeJson(doc));
  return true;
}

/** OpenAPI documents; false when the path is not one. */
function openApi(r: ApiRequest, path: string): boolean {
  if (path === "/openapi/v3") {
    const index = openApiV3Index();
    r.res.setHeader("Etag", JSON.stringify(index.etag));
    writeRaw(r.res, 200, "application/json", index.body);
    return true;
  }
  if (path.startsWith("/openapi/v3/")) {
    const answer = openApiV3Response(
      path.slice("/openapi/v3/".length),
      r.url.searchParams.get("hash") ?? undefined,
      r.req.headers["if-none-match"],
      r.deps.now(),
    );
    if (answer.status === 404) return false;
    for (const [k, v] of Object.entries(answer.headers)) r.res.setHeader(k, v);
    if (answer.body === undefined) {
      r.res.statusCode = answer.status;
      r.res.end();
    } else {
      writeRaw(r.res, answer.status, answer.headers["Content-Type"] ?? "application/json", answer.body);
    }
    return true;
  }
  if (path === "/openapi/v2") {
    const choice = negotiateOpenApiV2(r.req.headers.accept);
    if (!choice) throw newNotAcceptableError(["application/json"]);
    const doc = openApiV2Document();
    r.res.setHeader("Etag", JSON.stringify(doc.etag));
    writeRaw(r.res, 200, choice.contentType, choice.form === "json" ? doc.json : doc.protobuf);
    return true;
  }
  return false;
}

/**
 * The issuer's discovery document and JWKS, byte-exact with their own headers (reference §6.2);
 * 404 when the issuer is not a clean https URL (the endpoints are not installed, §11.16).
 */
function openId(r: ApiRequest, path: string): boolean {
  if (path !== "/.well-known/openid-configuration" && path !== "/openid/v1/jwks") return false;
  const metadata = r.deps.api.openIdMetadata();
  if (!metadata) return false;
  r.res.setHeader("Cache-Control", "public, max-age=3600");
  if (path === "/openid/v1/jwks") writeRaw(r.res, 200, "application/jwk-set+json", metadata.jwks);
  else writeRaw(r.res, 200, "application/json", metadata.configuration);
  return true;
}

/** Serves a non-resource request (after authentication). */
export async function handleNonResource(r: ApiRequest): Promise<void> {
  const path = r.url.pathname;
  await r.deps.api.authorizeNonResource(r.ctx, r.info.verb, path);
  setWarnings(r.res, r.ctx.warnings);
  const method = r.req.method ?? "GET";
  if (method !== "GET" && method !== "HEAD") {
    if (path === "/api" || path === "/apis" || path.startsWith("/api/") || path.startsWith("/apis/")) {
      throw newRouteMethodNotAllowed();
    }
    writePageNotFound(r);
    return;
  }
  if (path === "/version" || path === "/version/") {
    writeRaw(r.res, 200, "application/json", `${JSON.stringify(versionInfo, null, 2)}\n`);
    return;
  }
  if (healthPaths.has(path) || /^\/(healthz|livez|readyz)\//.test(path)) {
    if (health(r, path)) return;
  } else if (discovery(r, path) || openApi(r, path) || openId(r, path)) {
    return;
  }
  writePageNotFound(r);
}
