/**
 * Storage keys of objects: `/registry/<group or "core">/<resource>/<namespace>/<name>`, and
 * `/registry/<group or "core">/<resource>/<name>` for cluster-scoped kinds. Every prefix ends
 * with `/`, so that namespace `ns` never matches `ns2`.
 */
import { type ResourceInfo, resourceFor } from "@tokenplane/apimachinery";

type KeyInfo = Pick<ResourceInfo, "group" | "resource" | "namespaced">;

/** The prefix of every object of a resource. */
export function resourcePrefix(info: KeyInfo): string {
  return `/registry/${info.group || "core"}/${info.resource}/`;
}

/** The prefix of the objects in one namespace ("" = all namespaces, and always for cluster-scoped kinds). */
export function keyPrefix(info: KeyInfo, namespace: string): string {
  return info.namespaced && namespace ? `${resourcePrefix(info)}${namespace}/` : resourcePrefix(info);
}

/** The key of one object. */
export function objectKey(info: KeyInfo, namespace: string, name: string): string {
  return info.namespaced ? `${resourcePrefix(info)}${namespace}/${name}` : `${resourcePrefix(info)}${name}`;
}

/** What a storage key names: its resource, namespace ("" for cluster-scoped) and name. */
export interface ParsedKey {
  info: ResourceInfo;
  namespace: string;
  name: string;
}

/**
 * The object a storage key belongs to (for consumers of raw storage events, such as the event
 * outbox); undefined for keys that are not object keys of a stored resource.
 */
export function parseObjectKey(key: string): ParsedKey | undefined {
  const parts = key.split("/");
  // "", "registry", group, resource, [namespace,] name
  if (parts[0] !== "" || parts[1] !== "registry" || parts.length < 5) return undefined;
  const group = parts[2] === "core" ? "" : parts[2]!;
  const info = resourceFor(group, parts[3]!);
  if (!info?.objectCase) return undefined;
  if (info.namespaced)
    return parts.length === 6 ? { info, namespace: parts[4]!, name: parts[5]! } : undefined;
  return parts.length === 5 ? { info, namespace: "", name: parts[4]! } : undefined;
}
