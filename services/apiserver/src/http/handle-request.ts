/**
 * The filter chain every request goes through, in kube-apiserver's order: trace context (from
 * `traceparent` / `X-Request-Id`, or a new one) bound to everything the request does, the
 * `Audit-Id` and `Cache-Control: no-cache, private` headers, authentication (401 with the bare
 * Status; the reason only to the log), then the router; any failure becomes its Status. Each
 * request is counted in the request metrics and logged once (method, path, verb, user, code,
 * duration, trace ids) — never with its credentials.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import { newInternalError, StatusError } from "@tokenplane/apimachinery";
import { extractTrace, runWithTrace } from "@tokenplane/runtime";
import type { RequestAuthenticator } from "../authn/authenticator.js";
import type { RequestContext } from "../request/context.js";
import type { ApiRequest, HttpApiDeps } from "./api-request.js";
import type { WatchCloser } from "./handle-watch.js";
import { type HttpMetrics, metricScope, metricVerb } from "./http-metrics.js";
import { unauthorizedBody } from "./http-status.js";
import { impersonatedUser } from "./impersonation.js";
import { presentedCredentials } from "./request-credentials.js";
import { parseRequestInfo } from "./request-info.js";
import { PathNotFound } from "./resolve-resource.js";
import { setWarnings, writeRaw, writeStatusError } from "./responses.js";
import { routeRequest } from "./router.js";

/** What the chain needs besides the handlers' dependencies. */
export interface RequestChain {
  deps: HttpApiDeps;
  authenticator: RequestAuthenticator;
  metrics: HttpMetrics;
  trackWatch: WatchCloser;
}

/** Handles one request to completion (never rejects). */
export function handleRequest(chain: RequestChain, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const trace = extractTrace(req.headers);
  return runWithTrace(trace, async () => {
    const started = performance.now();
    const { deps } = chain;
    res.setHeader("Audit-Id", trace.requestId);
    res.setHeader("Cache-Control", "no-cache, private");
    const url = new URL(req.url ?? "/", "https://apiserver.invalid");
    const method = req.method ?? "GET";
    const info = parseRequestInfo(method, url.pathname, url.searchParams);
    const metricFlags = { isApply: false, dryRun: false };
    let username = "";
    let warnings: string[] = [];
    let actingAs: string | undefined;
    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.on("close", onClose);
    try {
      const presented = presentedCredentials(req);
      warnings = presented.warnings;
      const auth = await chain.authenticator.authenticate(presented.credentials);
      // an untrusted certificate is an authenticator error: only a working token overrides it
      const refused = !auth.ok
        ? auth.reason
        : presented.untrustedCertificate !== undefined && presented.credentials.bearerToken === undefined
          ? presented.untrustedCertificate
          : undefined;
      if (refused !== undefined) {
        deps.log.info({ reason: refused, path: url.pathname }, "unable to authenticate the request");
        setWarnings(res, warnings);
        writeRaw(res, 401, "application/json", unauthorizedBody);
        return;
      }
      if (!auth.ok) return; // unreachable: refused is set
      username = auth.user.username;
      warnings = [...presented.warnings, ...auth.warnings];
      const ctx: RequestContext = {
        user: auth.user,
        warnings,
        auditAnnotations: { ...auth.auditAnnotations },
        signal: abort.signal,
      };
      ctx.user = await impersonatedUser(deps.api, ctx, req.headersDistinct);
      if (ctx.user !== auth.user) actingAs = ctx.user.username;
      const r: ApiRequest = { req, res, url, info, ctx, deps, metrics: metricFlags };
      await routeRequest(r, chain.trackWatch);
    } catch (err) {
      if (err instanceof PathNotFound) {
        res.setHeader("X-Content-Type-Options", "nosniff");
        writeRaw(res, 404, "text/plain; charset=utf-8", "404 page not found\n");
      } else {
        // the warnings gathered so far go out with the failure too
        if (!res.headersSent) setWarnings(res, warnings);
        if (err instanceof StatusError) {
          if (err.code >= 500) deps.log.error({ err, path: url.pathname }, "request failed");
          writeStatusError(res, err);
        } else {
          deps.log.error({ err, path: url.pathname }, "request failed");
          writeStatusError(res, newInternalError(err));
        }
      }
    } finally {
      res.off("close", onClose);
      const seconds = (performance.now() - started) / 1000;
      const code = res.statusCode;
      chain.metrics.observe(
        {
          verb: metricVerb(info, method, metricFlags.isApply),
          group: info.apiGroup,
          version: info.apiVersion,
          resource: info.resource,
          subresource: info.subresource,
          scope: metricScope(info),
          dryRun: metricFlags.dryRun,
        },
        code,
        seconds,
      );
      deps.log.info(
        {
          method,
          path: url.pathname,
          verb: info.verb,
          user: username,
          ...(actingAs !== undefined ? { actingAs } : {}),
          code,
          durationMs: Math.round(seconds * 10_000) / 10,
          userAgent: req.headers["user-agent"],
        },
        "request",
      );
    }
  });
}
