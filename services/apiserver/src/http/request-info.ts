/**
 * What a request is about, read from its method, path and query the way Kubernetes'
 * `RequestInfoFactory.NewRequestInfo` (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go)
 * reads it: resource requests under `/api/<v>/...` and `/apis/<g>/<v>/...` get a verb, namespace,
 * resource, name and subresource; everything else is a non-resource request whose verb is the
 * lower-cased method. Pure: the router decides from this which handler runs.
 */

/** The parsed request. */
export interface RequestInfo {
  /** True for `/api/<v>/<resource>...` and `/apis/<g>/<v>/<resource>...`. */
  isResourceRequest: boolean;
  /** The URL path as received (percent-decoding is left to the segments). */
  path: string;
  /**
   * Resource requests: get, list, watch, create, update, patch, delete, deletecollection (or ""
   * for other methods). Non-resource requests: the lower-cased HTTP method.
   */
  verb: string;
  /** `api` or `apis` (resource requests only). */
  apiPrefix: string;
  apiGroup: string;
  apiVersion: string;
  /** "" for cluster-scoped paths; for `/namespaces/<ns>` paths the namespace (even for the namespace itself). */
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  /** The path segments from the resource on (`serviceaccounts/<name>/token`). */
  parts: string[];
  /** True when the deprecated `/watch/` path prefix asked for a watch. */
  watchPath: boolean;
}

const namespaceSubresources = new Set(["status", "finalize"]);

/** Splits a path into its segments after trimming slashes at both ends (Kubernetes' `splitPath`), percent-decoded. */
export function splitPath(path: string): string[] {
  const trimmed = path.replace(/^\/+|\/+$/g, "");
  if (trimmed === "") return [];
  return trimmed.split("/").map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
}

/**
 * A boolean query parameter as apimachinery converts it (`Convert_Slice_string_To_bool`): absent is
 * false, `0` and `false` (any case) are false, anything else — even an empty value — is true.
 */
export function queryBool(value: string | null): boolean {
  if (value === null) return false;
  return !(value === "0" || value.toLowerCase() === "false");
}

/** A path segment name Kubernetes accepts (`path.IsValidPathSegmentName`). */
function isValidPathSegmentName(name: string): boolean {
  return name !== "." && name !== ".." && !name.includes("/") && !name.includes("%");
}

/** The exact `metadata.name=<v>` (or `==`) term of a field selector, if there is one. */
function exactName(fieldSelector: string | null): string | undefined {
  if (!fieldSelector) return undefined;
  for (const term of fieldSelector.split(",")) {
    const m = /^\s*metadata\.name\s*(==|=)(.*)$/.exec(term);
    if (m) return m[2];
  }
  return undefined;
}

function methodVerb(method: string): string {
  switch (method) {
    case "POST":
      return "create";
    case "GET":
    case "HEAD":
      return "get";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return "delete";
    default:
      return "";
  }
}

/**
 * Parses a request. `query` is the URL's search parameters (used for `watch` and the
 * `metadata.name` field selector, as Kubernetes does when it computes the verb).
 */
export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const info: RequestInfo = {
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiPrefix: "",
    apiGroup: "",
    apiVersion: "",
    namespace: "",
    resource: "",
    subresource: "",
    name: "",
    parts: [],
    watchPath: false,
  };
  let parts = splitPath(path);
  if (parts.length < 3) return info;
  const prefix = parts[0]!;
  if (prefix !== "api" && prefix !== "apis") return info;
  parts = parts.slice(1);
  if (prefix === "apis") {
    // one part (the prefix) is consumed already: group, version and a resource are needed
    if (parts.length < 3) return info;
    info.apiGroup = parts[0]!;
    parts = parts.slice(1);
  }
  info.isResourceRequest = true;
  info.apiPrefix = prefix;
  info.apiVersion = parts[0]!;
  parts = parts.slice(1);

  if (parts[0] === "watch" || parts[0] === "proxy") {
    if (parts.length < 2) {
      // Kubernetes answers this with an error; an empty resource makes the router say 404.
      info.verb = parts[0];
      info.parts = [];
      return info;
    }
    info.verb = parts[0];
    info.watchPath = parts[0] === "watch";
    parts = parts.slice(1);
  } else {
    info.verb = methodVerb(method);
  }

  if (parts[0] === "namespaces") {
    if (parts.length > 1) {
      info.namespace = parts[1]!;
      // a further segment that is not a namespace subresource is a resource in that namespace
      if (parts.length > 2 && !namespaceSubresources.has(parts[2]!)) parts = parts.slice(2);
    }
  }
  info.parts = parts;
  if (parts.length >= 3 && info.verb !== "proxy") info.subresource = parts[2]!;
  if (parts.length >= 2) info.name = parts[1]!;
  if (parts.length >= 1) info.resource = parts[0]!;

  // no name on a GET: a list, or a watch when asked (Kubernetes reads the same query)
  if (info.name === "" && info.verb === "get") {
    info.verb = queryBool(query.get("watch")) ? "watch" : "list";
    const name = exactName(query.get("fieldSelector"));
    if (name !== undefined && isValidPathSegmentName(name)) info.name = name;
  }
  if (info.name === "" && info.verb === "delete") info.verb = "deletecollection";
  return info;
}
