/**
 * Which served resource a resource request addresses, and whether its route exists, as
 * kube-apiserver's installed routes decide: an unknown group-version is outside the API (plain
 * `404 page not found`); inside it an unknown resource, a cluster-scoped resource under
 * `/namespaces/<ns>`, or an unknown subresource is the 404 Status `the server could not find the
 * requested resource`; a verb the route does not take is 405. Pure.
 */
import { newBadRequest, type ResourceInfo, resourceFor, resources } from "@tokenplane/apimachinery";
import { namespaceNotAllowedMessage } from "../authn/token-review.js";
import { newRouteMethodNotAllowed, newRouteNotFound } from "./http-status.js";
import type { RequestInfo } from "./request-info.js";

/** A path outside every served API group-version (answered `404 page not found`, text/plain). */
export class PathNotFound extends Error {
  constructor(path: string) {
    super(`no route for ${path}`);
    this.name = "PathNotFound";
  }
}

/** The resource a request is about. */
export interface ResourceTarget {
  resource: ResourceInfo;
  /** "" for cluster-scoped resources and for lists/watches across all namespaces. */
  namespace: string;
  name: string;
  subresource: string;
  /** The verb after routing (get, list, watch, create, update, patch, delete, deletecollection). */
  verb: string;
}

const servedGroupVersions = new Set(resources.map((r) => `${r.group}/${r.version}`));

/** Verbs a subresource route takes: create → POST, get → GET, update → PUT, patch → PATCH. */
function subresourceVerbs(resource: ResourceInfo, sub: string): string[] | undefined {
  return resource.subresources.find((s) => s.name === sub)?.verbs;
}

/** Resolves a resource request or throws the 404/405/400 Kubernetes gives. */
export function resolveResource(info: RequestInfo): ResourceTarget {
  const group = info.apiPrefix === "api" ? "" : info.apiGroup;
  if (info.apiPrefix === "api" && info.apiGroup !== "") throw new PathNotFound(info.path);
  if (!servedGroupVersions.has(`${group}/${info.apiVersion}`)) throw new PathNotFound(info.path);
  const resource = resourceFor(group, info.resource);
  if (!resource || resource.version !== info.apiVersion) throw newRouteNotFound();
  if (info.parts.length > 3) throw newRouteNotFound();

  let namespace = info.namespace;
  const name = info.name;
  const subresource = info.subresource;
  const verb = info.verb;

  if (resource.resource === "namespaces") {
    // `/api/v1/namespaces/<name>`: the parser sees the name as a namespace too
    namespace = "";
  } else if (!resource.namespaced && namespace !== "") {
    // TokenReview refuses a namespace with its own text (reference §1.8); others have no such route
    if (resource.resource === "tokenreviews") throw newBadRequest(namespaceNotAllowedMessage(namespace));
    throw newRouteNotFound();
  }
  if (resource.namespaced && namespace === "") {
    // only list and watch are served across all namespaces
    if (name !== "" && verb !== "list" && verb !== "watch") throw newRouteNotFound();
    if (verb !== "list" && verb !== "watch") throw newRouteMethodNotAllowed();
  }

  if (subresource !== "") {
    const verbs = subresourceVerbs(resource, subresource);
    if (!verbs) throw newRouteNotFound();
    if (!verbs.includes(verb)) throw newRouteMethodNotAllowed();
    return { resource, namespace, name, subresource, verb };
  }

  // verbs on a named object vs the collection
  const allowed = resource.verbs;
  const isCollection = name === "" || verb === "list" || verb === "watch";
  const collectionVerbs = ["list", "watch", "create", "deletecollection"];
  const objectVerbs = ["get", "update", "patch", "delete"];
  if (verb === "") throw newRouteMethodNotAllowed();
  if (isCollection && !collectionVerbs.includes(verb)) throw newRouteMethodNotAllowed();
  // POST to a named object has no route
  if (!isCollection && !objectVerbs.includes(verb)) throw newRouteMethodNotAllowed();
  // e.g. GET of a review (create only) or deletecollection of namespaces
  if (!allowed.includes(verb)) throw newRouteMethodNotAllowed();
  return { resource, namespace, name, subresource, verb };
}
