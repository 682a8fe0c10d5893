/**
 * Writing responses: Kubernetes JSON (Go's encoder output — HTML characters escaped, a trailing
 * newline), YAML (keys sorted, as sigs.k8s.io/yaml writes them), Status bodies for every error,
 * and the headers every API response carries (`Audit-Id`, `Cache-Control: no-cache, private`,
 * `Warning`).
 */
import type { ServerResponse } from "node:http";
import type { JsonValue, StatusError } from "@tokenplane/apimachinery";
import { stringify } from "yaml";
import { statusToJson } from "./http-status.js";
import type { OutputFormat } from "./negotiate.js";
import { toHeaderLatin1, warningHeaderValues } from "./warning-header.js";

/** Go's json.Encoder escapes these for HTML safety; Kubernetes' serializer keeps that default. */
const htmlUnsafe = /[<>&\u2028\u2029]/g;
const escapes: Record<string, string> = {
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
};

/** JSON text as Kubernetes writes it (one line, HTML characters escaped, trailing newline). */
export function encodeJson(value: JsonValue): string {
  const text = JSON.stringify(value);
  return `${htmlUnsafe.test(text) ? text.replace(htmlUnsafe, (c) => escapes[c]!) : text}\n`;
}

/**
 * YAML text with sorted keys (sigs.k8s.io/yaml goes through a Go map), in YAML 1.1 as go-yaml
 * writes it: strings that a 1.1 reader would take for something else (`yes`, timestamps) are quoted.
 */
export function encodeYaml(value: JsonValue): string {
  return stringify(value, { sortMapEntries: true, lineWidth: 0, version: "1.1" });
}

/** Adds the request's warnings as `Warning` headers (before the head is written). */
export function setWarnings(res: ServerResponse, warnings: readonly string[]): void {
  const values = warningHeaderValues(warnings).map(toHeaderLatin1);
  if (values.length > 0) res.setHeader("Warning", values);
}

/** Writes a whole body with the given status code and content type. */
export function writeRaw(
  res: ServerResponse,
  code: number,
  contentType: string,
  body: string | Uint8Array,
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.statusCode = code;
  res.setHeader("Content-Type", contentType);
  res.setHeader("Content-Length", typeof body === "string" ? Buffer.byteLength(body) : body.length);
  res.end(body);
}

/** Writes an object in the negotiated representation (JSON when none was negotiated). */
export function writeObject(
  res: ServerResponse,
  code: number,
  value: JsonValue,
  format?: OutputFormat,
): void {
  if (format?.kind === "yaml") writeRaw(res, code, format.contentType, encodeYaml(value));
  else writeRaw(res, code, format?.contentType ?? "application/json", encodeJson(value));
}

/**
 * Writes a failure as its Status. Status bodies are always JSON (kubectl reads them whatever it
 * asked for); the StatusError's own warnings are added to the headers.
 */
export function writeStatusError(res: ServerResponse, err: StatusError): void {
  if (err.warnings.length > 0 && !res.headersSent) {
    const existing = res.getHeader("Warning");
    const prior = Array.isArray(existing) ? existing : [];
    res.setHeader("Warning", [...prior, ...warningHeaderValues(err.warnings).map(toHeaderLatin1)]);
  }
  writeRaw(res, err.code, "application/json", encodeJson(statusToJson(err.status)));
}
