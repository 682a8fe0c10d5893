/**
 * Content negotiation of the resource API, as kube-apiserver's `negotiation` package does it:
 * which representation a response is written in (from `Accept`), and which decoder reads a
 * request body (from `Content-Type`). Pure.
 *
 * Responses: JSON (the default), YAML, or a server-side `meta.k8s.io` `Table` (kubectl's
 * `get`). Protobuf is accepted in `Accept` but answered in JSON, which kubectl and client-go
 * read as well (kubectl-wire.md "Protobuf bodies").
 */
import { parseAccept } from "./discovery/index.js";

/** The media types the resource API serves and reads, in Kubernetes' order. */
export const supportedMediaTypes = [
  "application/json",
  "application/yaml",
  "application/vnd.kubernetes.protobuf",
] as const;

/** The patch content types, in the order Kubernetes lists them in its 415 message. */
export const patchMediaTypes = [
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
  "application/apply-patch+yaml",
] as const;

/** How to write a response. */
export type OutputFormat =
  | { kind: "json"; contentType: "application/json" }
  | { kind: "yaml"; contentType: "application/yaml" }
  | { kind: "table"; contentType: string; groupVersion: "meta.k8s.io/v1" | "meta.k8s.io/v1beta1" };

/**
 * The representation the first acceptable range of `accept` asks for, or undefined when none can
 * be produced (→ 406). `allowTable`: whether a Table may be sent (reads of resources).
 */
export function negotiateOutput(accept: string | undefined, allowTable: boolean): OutputFormat | undefined {
  for (const r of parseAccept(accept)) {
    const as = r.params.as;
    if (as !== undefined) {
      if (
        allowTable &&
        as === "Table" &&
        r.type === "application" &&
        r.subtype === "json" &&
        r.params.g === "meta.k8s.io" &&
        (r.params.v === "v1" || r.params.v === "v1beta1")
      ) {
        const v = r.params.v;
        return {
          kind: "table",
          contentType: `application/json;as=Table;v=${v};g=meta.k8s.io`,
          groupVersion: `meta.k8s.io/${v}`,
        };
      }
      continue; // PartialObjectMetadata and other conversions are not offered
    }
    if (r.type === "*" || (r.type === "application" && (r.subtype === "*" || r.subtype === "json"))) {
      return { kind: "json", contentType: "application/json" };
    }
    if (r.type === "application" && r.subtype === "yaml")
      return { kind: "yaml", contentType: "application/yaml" };
    if (r.type === "application" && r.subtype === "vnd.kubernetes.protobuf") {
      return { kind: "json", contentType: "application/json" };
    }
  }
  return undefined;
}

/** The media type of a `Content-Type` header without parameters, lower-cased ("" when absent). */
export function mediaTypeOf(contentType: string | undefined): string {
  if (contentType === undefined) return "";
  const semi = contentType.indexOf(";");
  return (semi >= 0 ? contentType.slice(0, semi) : contentType).trim().toLowerCase();
}

/** Body formats of create/update requests. */
export type InputFormat = "json" | "yaml" | "protobuf";

/**
 * The decoder for a create/update body: a missing Content-Type is JSON (kubectl `create --raw`
 * sends none); anything else outside {@link supportedMediaTypes} is undefined (→ 415).
 */
export function inputFormat(contentType: string | undefined): InputFormat | undefined {
  const mt = mediaTypeOf(contentType);
  if (mt === "" || mt === "application/json") return "json";
  if (mt === "application/yaml") return "yaml";
  if (mt === "application/vnd.kubernetes.protobuf") return "protobuf";
  return undefined;
}
