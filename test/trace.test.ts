/**
 * One user action followed through every component by its trace id (the foundation issue: a W3C
 * `traceparent` carried across HTTPS, gRPC metadata and NATS headers and present in every log
 * line). The real processes (nats-server, apiserver, admission, token-controller) run with
 * `--log-level=debug`; each test sends one HTTPS request as the administrator with its own
 * `traceparent` and then reads every service's log lines carrying that trace id:
 *
 * - a pod create: apiserver (the request) → admission over gRPC (Admit);
 * - a namespace create: apiserver (the request; the outbox publishes the change later, outside the
 *   request, in the trace recorded with the change) → NATS (the event's `traceparent` header) →
 *   token-controller (informer handler, work queue, reconcile) → apiserver over gRPC (the creates
 *   of the namespace's `default` ServiceAccount and `kube-root-ca.crt`).
 */
import { randomBytes } from "node:crypto";
import { EVENTS_STREAM, headersToRecord, lifecycleEventSubject } from "@tokenplane/runtime";
import { startTestStack, type TestStack } from "@tokenplane/testing";
import { connect } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, apiClient, eventually, type Json } from "./support/api-client.js";

let stack: TestStack;
let api: ApiClient;

beforeAll(async () => {
  stack = await startTestStack({ services: ["admission", "apiserver", "token-controller"] });
  api = apiClient(stack);
}, 180_000);

afterAll(async () => {
  await stack?.close();
});

/** A fresh sampled trace as a client would start it: ids and the `traceparent` header. */
function clientTrace(): { traceId: string; spanId: string; traceparent: string } {
  const traceId = randomBytes(16).toString("hex");
  const spanId = randomBytes(8).toString("hex");
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

/** The JSON log lines of a service carrying `traceId`. */
function traced(service: "apiserver" | "admission" | "token-controller", traceId: string): Json[] {
  return stack
    .logs(service)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Json];
      } catch {
        return []; // not a JSON line (nothing but JSON is expected, but do not fail on it)
      }
    })
    .filter((l) => l.trace_id === traceId);
}

/** Waits until `pick` finds what it wants in the log lines carrying `traceId` (log lines trail the API). */
function inLogs<T>(
  service: "apiserver" | "admission" | "token-controller",
  traceId: string,
  pick: (lines: Json[]) => T | undefined,
  what: string,
): Promise<T> {
  return eventually(async () => pick(traced(service, traceId)), `${service}: ${what}`, 20_000);
}

/** Waits until GET `path` answers 200. */
function exists(path: string): Promise<Json> {
  return eventually(async () => {
    const r = await api.get(path);
    return r.status === 200 ? r.json() : undefined;
  }, path);
}

/** The headers of the last event on `subject`, read straight from the stream. */
async function eventHeaders(subject: string): Promise<Record<string, string>> {
  const nc = await connect({ servers: stack.nats.url });
  try {
    const jsm = await nc.jetstreamManager();
    const m = await jsm.streams.getMessage(EVENTS_STREAM, { last_by_subj: subject });
    return headersToRecord(m.header);
  } finally {
    await nc.close();
  }
}

describe("one request followed through every component by its trace id", () => {
  it("a pod create: the apiserver's request and the admission service's Admit call", async () => {
    const ns = "trace-pod";
    await api.create("/api/v1/namespaces", { metadata: { name: ns } });
    // The ServiceAccount admission plugin needs the namespace's `default` (the token-controller's).
    await exists(`/api/v1/namespaces/${ns}/serviceaccounts/default`);
    const t = clientTrace();
    const r = await api.call("POST", `/api/v1/namespaces/${ns}/pods`, {
      body: { metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "busybox:1.36" }] } },
      headers: { traceparent: t.traceparent },
    });
    expect(r.status).toBe(201);
    expect(r.json().spec.serviceAccountName).toBe("default"); // admission ran
    // Without X-Request-Id the request id (Audit-Id) is the trace id.
    expect(r.headers["audit-id"]).toBe(t.traceId);

    const request = await inLogs(
      "apiserver",
      t.traceId,
      (ls) => ls.find((l) => l.msg === "request" && l.path === `/api/v1/namespaces/${ns}/pods`),
      "the request line",
    );
    expect(request).toMatchObject({ method: "POST", verb: "create", code: 201, request_id: t.traceId });
    // The apiserver works in its own span, a child of the caller's.
    expect(request.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(request.span_id).not.toBe(t.spanId);

    const admit = await inLogs(
      "admission",
      t.traceId,
      (ls) => ls.find((l) => l.msg === "grpc call" && l.method === "/tokenplane.v1.AdmissionService/Admit"),
      "the Admit call",
    );
    expect(admit).toMatchObject({ user: "tokenplane:apiserver", code: "OK", request_id: t.traceId });
    expect(admit.span_id).not.toBe(request.span_id);
  });

  it("a namespace create: apiserver → NATS event → token-controller → apiserver", async () => {
    const ns = "trace-ns";
    const t = clientTrace();
    const r = await api.call("POST", "/api/v1/namespaces", {
      body: { metadata: { name: ns } },
      headers: { traceparent: t.traceparent, "X-Request-Id": "trace-e2e-ns" },
    });
    expect(r.status).toBe(201);
    expect(r.headers["audit-id"]).toBe("trace-e2e-ns");
    await exists(`/api/v1/namespaces/${ns}/serviceaccounts/default`);
    await exists(`/api/v1/namespaces/${ns}/configmaps/kube-root-ca.crt`);

    // 1. The apiserver: the request, then (later, from the outbox) the event published in its trace.
    const request = await inLogs(
      "apiserver",
      t.traceId,
      (ls) => ls.find((l) => l.msg === "request" && l.path === "/api/v1/namespaces"),
      "the request line",
    );
    expect(request).toMatchObject({ method: "POST", verb: "create", code: 201, request_id: "trace-e2e-ns" });
    const published = await inLogs(
      "apiserver",
      t.traceId,
      (ls) => ls.find((l) => l.msg === "event published" && l.key === `/registry/core/namespaces/${ns}`),
      "the event published",
    );
    expect(published).toMatchObject({ level: 20, type: "put" });
    expect(published.span_id).not.toBe(request.span_id);

    // 2. NATS: the event message carries the trace in its headers.
    const subject = lifecycleEventSubject({ group: "", resource: "namespaces", namespace: "", name: ns });
    expect(await eventHeaders(subject)).toMatchObject({
      traceparent: `00-${t.traceId}-${published.span_id}-01`,
      "x-request-id": t.traceId, // the writer's request id is not kept with the change
    });

    // 3. The token-controller: handling the namespace's event, down to its writes.
    const sa = await inLogs(
      "token-controller",
      t.traceId,
      (ls) => ls.find((l) => l.msg === `create serviceaccounts ${ns}/default`),
      "the ServiceAccount create",
    );
    expect(sa).toMatchObject({ controller: "serviceaccount-controller", verb: "create" });
    const cm = await inLogs(
      "token-controller",
      t.traceId,
      (ls) => ls.find((l) => l.msg === `create configmaps ${ns}/kube-root-ca.crt`),
      "the ConfigMap create",
    );
    expect(cm).toMatchObject({ controller: "root-ca-certificate-publisher-controller", verb: "create" });

    // 4. Back in the apiserver: the token-controller's create calls over gRPC, in the same trace.
    const creates = await inLogs(
      "apiserver",
      t.traceId,
      (ls) => {
        const calls = ls.filter(
          (l) =>
            l.msg === "grpc call" &&
            l.method === "/tokenplane.v1.ObjectService/Create" &&
            l.user === "system:kube-controller-manager",
        );
        return calls.length >= 2 ? calls : undefined;
      },
      "the token-controller's two creates",
    );
    expect(creates.map((l: Json) => l.code)).toEqual(["OK", "OK"]);
    // Their writes are events of the same trace again (ServiceAccount and ConfigMap).
    const keys = await inLogs(
      "apiserver",
      t.traceId,
      (ls) => {
        const k = ls.filter((l) => l.msg === "event published").map((l) => l.key as string);
        return k.length >= 3 ? k.sort() : undefined;
      },
      "the events of the token-controller's writes",
    );
    expect(keys).toEqual([
      `/registry/core/configmaps/${ns}/kube-root-ca.crt`,
      `/registry/core/namespaces/${ns}`,
      `/registry/core/serviceaccounts/${ns}/default`,
    ]);
  });
});
