/**
 * Builds the OpenAPI documents (`./openapi`) once when the server starts, so the first
 * `kubectl apply` does not pay for it, and so that a document the resource table cannot describe
 * is reported at start-up rather than on a user's request.
 */
import type { Logger } from "@tokenplane/runtime";
import { openApiV2Document, openApiV3Index } from "./openapi/index.js";

/** Builds (and so caches) the documents; false (logged) when they cannot be built. */
export function prepareOpenApi(log: Logger): boolean {
  try {
    openApiV3Index();
    openApiV2Document();
    return true;
  } catch (err) {
    log.error({ err }, "the OpenAPI documents cannot be built: kubectl apply, edit and explain will fail");
    return false;
  }
}
