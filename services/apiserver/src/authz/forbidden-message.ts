/**
 * The 403 a request gets when authorization does not allow it: Kubernetes' `forbiddenMessage`
 * and `responsewriters.Forbidden` (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/
 * responsewriters/errors.go) with apimachinery's `NewForbidden` (reference §8.1).
 */
import { goQuote, groupResourceString, StatusError } from "@tokenplane/apimachinery";
import type { Attributes } from "./authorizer.js";
import { combinedResource } from "./rbac/rule-matching.js";

/**
 * `forbiddenMessage`: what the user may not do, e.g.
 * `User "u" cannot get resource "pods/status" in API group "" in the namespace "ns"`,
 * `... at the cluster scope`, or `User "u" cannot get path "/healthz"`.
 */
export function forbiddenMessage(attrs: Attributes): string {
  const username = goQuote(attrs.user.username);
  if (!attrs.resourceRequest) {
    return `User ${username} cannot ${attrs.verb} path ${goQuote(attrs.path)}`;
  }
  const what = `User ${username} cannot ${attrs.verb} resource ${goQuote(combinedResource(attrs))} in API group ${goQuote(attrs.apiGroup)}`;
  if (attrs.namespace) return `${what} in the namespace ${goQuote(attrs.namespace)}`;
  return `${what} at the cluster scope`;
}

/** The HTML escaping `responsewriters.Forbidden` applies to the message (not to the reason). */
function sanitize(s: string): string {
  return s.replace(/[&<>]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : "&gt;"));
}

/**
 * apimachinery's `NewForbidden` exactly: `<resource> "<name>" is forbidden: <err>`,
 * `<resource> is forbidden: <err>` without a name, and `forbidden: <err>` for an empty group and
 * resource (non-resource requests). Details carry only the non-empty name, group and kind (Go's
 * `omitempty`). `newForbidden` in @tokenplane/apimachinery cannot express the empty-resource form,
 * hence this constructor.
 */
export function newForbiddenStatus(
  gr: { group: string; resource: string },
  name: string,
  err: string,
): StatusError {
  let message: string;
  if (!gr.group && !gr.resource) message = `forbidden: ${err}`;
  else if (!name) message = `${groupResourceString(gr)} is forbidden: ${err}`;
  else message = `${groupResourceString(gr)} ${goQuote(name)} is forbidden: ${err}`;
  return new StatusError({
    reason: "Forbidden",
    code: 403,
    message,
    details: {
      ...(name ? { name } : {}),
      ...(gr.group ? { group: gr.group } : {}),
      ...(gr.resource ? { kind: gr.resource } : {}),
    },
  });
}

/**
 * The 403 for a request that was not allowed: the sanitized {@link forbiddenMessage}, then
 * `: <reason>` when the authorizers gave one (RBAC gives one only for evaluation errors, e.g.
 * `RBAC: clusterrole.rbac.authorization.k8s.io "x" not found`). The group/resource is the
 * request's (without the subresource), the name the request's.
 */
export function forbiddenError(attrs: Attributes, reason: string): StatusError {
  const msg = sanitize(forbiddenMessage(attrs));
  const err = reason ? `${msg}: ${reason}` : msg;
  return newForbiddenStatus({ group: attrs.apiGroup, resource: attrs.resource }, attrs.name, err);
}
