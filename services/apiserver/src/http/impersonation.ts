/**
 * User impersonation (`kubectl --as=... --as-group=...`), as kube-apiserver's `WithImpersonation`
 * filter does it: the `Impersonate-User`, `Impersonate-Group`, `Impersonate-Uid` and
 * `Impersonate-Extra-<key>` headers name who the request acts as; the caller must be allowed the
 * `impersonate` verb on each (`users`, `serviceaccounts` in the account's namespace, `groups`,
 * `authentication.k8s.io` `uids` and `userextras/<key>`), else 403 naming the first refused one.
 * A service account user gets its fixed groups unless groups are given; `system:authenticated`
 * (or `system:unauthenticated` for `system:anonymous`) is added as Kubernetes adds it.
 *
 * The decision is asked of the Api as a SelfSubjectAccessReview of the caller, so RBAC stays
 * the Api's business.
 */
import { newInternalError } from "@tokenplane/apimachinery";
import type { Api } from "../api/api.js";
import type { RequestContext, UserInfo } from "../request/context.js";
import { requireAccess } from "./self-access.js";

/** One thing a request asks to act as (Kubernetes builds `v1.ObjectReference`s). */
interface ImpersonationRequest {
  kind: "User" | "ServiceAccount" | "Group" | "UserExtra" | "UID";
  namespace: string;
  name: string;
  /** The extra key, for UserExtra. */
  fieldPath: string;
}

const saPrefix = "system:serviceaccount:";

/** `serviceaccount.SplitUsername`: namespace and name of a service account user, if it is one. */
function splitServiceAccount(username: string): { namespace: string; name: string } | undefined {
  if (!username.startsWith(saPrefix)) return undefined;
  const parts = username.slice(saPrefix.length).split(":");
  if (parts.length !== 2 || parts[0] === "" || parts[1] === "") return undefined;
  return { namespace: parts[0]!, name: parts[1]! };
}

/** Request headers with every value of repeated headers (Node's `headersDistinct`). */
export type DistinctHeaders = Readonly<Record<string, readonly string[] | undefined>>;

const headerValues = (v: readonly string[] | undefined): readonly string[] => v ?? [];

/** Go's `%v` of an ObjectReference, as the "without impersonating a user" error prints them. */
function goObjectReference(r: ImpersonationRequest): string {
  const apiVersion = r.kind === "UID" ? "authentication.k8s.io/v1" : "";
  return `{${r.kind} ${r.namespace} ${r.name}  ${apiVersion}  ${r.fieldPath}}`;
}

/** The impersonation a request asks for (`buildImpersonationRequests`); [] when none. */
export function impersonationRequests(headers: DistinctHeaders): ImpersonationRequest[] {
  const out: ImpersonationRequest[] = [];
  const user = headerValues(headers["impersonate-user"])[0] ?? "";
  if (user !== "") {
    const sa = splitServiceAccount(user);
    out.push(
      sa
        ? { kind: "ServiceAccount", namespace: sa.namespace, name: sa.name, fieldPath: "" }
        : { kind: "User", namespace: "", name: user, fieldPath: "" },
    );
  }
  for (const g of headerValues(headers["impersonate-group"])) {
    out.push({ kind: "Group", namespace: "", name: g, fieldPath: "" });
  }
  for (const [header, value] of Object.entries(headers)) {
    if (!header.startsWith("impersonate-extra-")) continue;
    let key = header.slice("impersonate-extra-".length);
    try {
      key = decodeURIComponent(key); // unescapeExtraKey
    } catch {
      // kept as sent
    }
    for (const v of headerValues(value))
      out.push({ kind: "UserExtra", namespace: "", name: v, fieldPath: key });
  }
  const uid = headerValues(headers["impersonate-uid"])[0] ?? "";
  if (uid !== "") out.push({ kind: "UID", namespace: "", name: uid, fieldPath: "" });
  if (out.length > 0 && user === "") {
    throw newInternalError(
      `requested [${out.map(goObjectReference).join(" ")}] without impersonating a user`,
    );
  }
  return out;
}

function attributesOf(r: ImpersonationRequest): { group: string; resource: string; subresource: string } {
  switch (r.kind) {
    case "ServiceAccount":
      return { group: "", resource: "serviceaccounts", subresource: "" };
    case "User":
      return { group: "", resource: "users", subresource: "" };
    case "Group":
      return { group: "", resource: "groups", subresource: "" };
    case "UserExtra":
      return { group: "authentication.k8s.io", resource: "userextras", subresource: r.fieldPath };
    case "UID":
      return { group: "authentication.k8s.io", resource: "uids", subresource: "" };
  }
}

/**
 * The user the request acts as: `ctx.user` without impersonation headers, else the impersonated
 * user once every part is allowed (throws 403 / 500 StatusErrors otherwise).
 */
export async function impersonatedUser(
  api: Api,
  ctx: RequestContext,
  headers: DistinctHeaders,
): Promise<UserInfo> {
  const requests = impersonationRequests(headers);
  if (requests.length === 0) return ctx.user;
  const groupsSpecified = headers["impersonate-group"] !== undefined;
  let username = "";
  let groups: string[] = [];
  const extra: Record<string, string[]> = {};
  let uid = "";
  for (const r of requests) {
    const a = attributesOf(r);
    switch (r.kind) {
      case "ServiceAccount":
        username = `${saPrefix}${r.namespace}:${r.name}`;
        if (!groupsSpecified) groups = ["system:serviceaccounts", `system:serviceaccounts:${r.namespace}`];
        break;
      case "User":
        username = r.name;
        break;
      case "Group":
        groups.push(r.name);
        break;
      case "UserExtra":
        extra[r.fieldPath] = [...(extra[r.fieldPath] ?? []), r.name];
        break;
      case "UID":
        uid = r.name;
        break;
    }
    await requireAccess(api, ctx, {
      verb: "impersonate",
      group: a.group,
      resource: a.resource,
      subresource: a.subresource,
      namespace: r.namespace,
      name: r.name,
    });
  }
  if (username !== "system:anonymous") {
    if (!groups.some((g) => g === "system:authenticated" || g === "system:unauthenticated")) {
      groups.push("system:authenticated");
    }
  } else if (!groups.includes("system:unauthenticated")) {
    groups.push("system:unauthenticated");
  }
  return { username, uid, groups, extra };
}
