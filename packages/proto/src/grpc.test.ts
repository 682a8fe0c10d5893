import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DescMethod } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addService, createClient, type ServiceClient, type ServiceImpl, tokenplanev1 } from "./index.js";

const { ObjectService } = tokenplanev1;

interface Pki {
  ca: Buffer;
  serverKey: Buffer;
  serverCert: Buffer;
  clientKey: Buffer;
  clientCert: Buffer;
}

/** A throwaway CA, a serving cert for localhost/127.0.0.1 and a client cert CN=alice,O=team, made with openssl. */
function makePki(dir: string): Pki {
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const key = (name: string) =>
    openssl(
      "req",
      "-new",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      name === "server" ? "/CN=127.0.0.1" : "/O=team/CN=alice",
    );
  openssl(
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "1",
    "-subj",
    "/CN=test-ca",
  );
  writeFileSync(
    join(dir, "server.ext"),
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
  );
  writeFileSync(join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const name of ["server", "client"]) {
    key(name);
    openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "1",
      "-out",
      `${name}.crt`,
      "-extfile",
      `${name}.ext`,
    );
  }
  const read = (f: string) => readFileSync(join(dir, f));
  return {
    ca: read("ca.crt"),
    serverKey: read("server.key"),
    serverCert: read("server.crt"),
    clientKey: read("client.key"),
    clientCert: read("client.crt"),
  };
}

class NotFound extends Error {}
/** What callers see instead of grpc's ServiceError (via ClientOptions.fromError). */
class CallFailed extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`timed out: ${what}`)))]);
}

const seenByWrap: { method: string; trace: string; call: string }[] = [];
let watchAborted = deferred<void>();
let createAborted = deferred<void>();
let produced = 0;

const impl: ServiceImpl<typeof ObjectService> = {
  async get(req, ctx) {
    ctx.sendTrailers(new grpc.Metadata());
    const served = new grpc.Metadata();
    served.set("x-served-by", "test-server");
    ctx.sendTrailers(served);
    // The client certificate's subject, as the runtime package will use it for identity.
    const peer = ctx.call.getAuthContext().sslPeerCertificate?.subject;
    return {
      object: {
        case: "serviceAccount",
        value: {
          metadata: {
            name: req.name,
            namespace: req.namespace,
            annotations: { peer: `${peer?.CN}/${peer?.O}` },
          },
          automountServiceAccountToken: false,
        },
      },
    };
  },
  async list() {
    return { resourceVersion: "7", remainingItemCount: 0n };
  },
  async create(_req, ctx) {
    // Runs until the client cancels.
    await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
    createAborted.resolve();
    return {};
  },
  async update() {
    throw new Error("boom");
  },
  async patch() {
    return {};
  },
  async bind() {
    return {};
  },
  async delete(req) {
    throw new NotFound(`serviceaccounts "${req.name}" not found`);
  },
  async *watch(req, ctx) {
    const event = (type: string, rv: number) => ({
      type,
      resourceVersion: String(rv),
      object: { object: { case: "serviceAccount" as const, value: { metadata: { name: `sa-${rv}` } } } },
    });
    if (req.namespace === "three") {
      yield event("ADDED", 1);
      yield event("MODIFIED", 2);
      yield event("DELETED", 3);
    } else if (req.namespace === "fail") {
      yield event("ADDED", 1);
      throw new NotFound("watch broke");
    } else if (req.namespace === "forever") {
      yield event("ADDED", 1);
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
      watchAborted.resolve();
    } else if (req.namespace === "many") {
      // ~20 MB in total: far more than the HTTP/2 windows, so write() must wait for 'drain'.
      const big = "x".repeat(10_000);
      for (let i = 1; i <= 2000; i++) {
        produced = i;
        yield {
          type: "ADDED",
          resourceVersion: String(i),
          object: { object: { case: "configMap", value: { data: { big } } } },
        };
      }
    }
  },
};

const toStatus = (err: unknown, method: DescMethod) => {
  if (err instanceof NotFound) {
    const md = new grpc.Metadata();
    md.set("x-method", method.name);
    return { code: grpc.status.NOT_FOUND, details: err.message, metadata: md };
  }
  return { code: grpc.status.INTERNAL, details: err instanceof Error ? err.message : String(err) };
};

// Dial the IP but verify the name: Node deprecates an IP address as TLS ServerName (RFC 6066).
const tlsName = { "grpc.ssl_target_name_override": "localhost" };

describe("grpc glue over mutual TLS", () => {
  const dir = mkdtempSync(join(tmpdir(), "tokenplane-grpc-test-"));
  const server = new grpc.Server();
  let pki: Pki;
  let port = 0;
  let raw: grpc.Client;
  let client: ServiceClient<typeof ObjectService>;

  beforeAll(async () => {
    pki = makePki(dir);
    addService(server, ObjectService, impl, {
      toStatus,
      wrap: async (method, ctx, run) => {
        seenByWrap.push({
          method: method.name,
          trace: String(ctx.metadata.get("traceparent")[0] ?? ""),
          call: String(ctx.metadata.get("x-call")[0] ?? ""),
        });
        await run();
      },
    });
    const creds = grpc.ServerCredentials.createSsl(
      pki.ca,
      [{ private_key: pki.serverKey, cert_chain: pki.serverCert }],
      true,
    );
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", creds, (err, p) => (err ? reject(err) : resolve(p))),
    );
    raw = new grpc.Client(
      `127.0.0.1:${port}`,
      grpc.credentials.createSsl(pki.ca, pki.clientKey, pki.clientCert),
      tlsName,
    );
    client = createClient(ObjectService, raw, {
      metadata: () => {
        const md = new grpc.Metadata();
        md.set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        return md;
      },
      fromError: (err) => new CallFailed(err.code, err.details),
    });
  });

  afterAll(async () => {
    raw?.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves a unary call, with metadata through wrap and trailers to onTrailers", async () => {
    const callMd = new grpc.Metadata();
    callMd.set("x-call", "get-1");
    let trailers: grpc.Metadata | undefined;
    const obj = await client.get(
      { resource: "serviceaccounts", namespace: "ns1", name: "robot" },
      { metadata: callMd, onTrailers: (md) => (trailers = md), deadline: Date.now() + 10_000 },
    );
    if (obj.object.case !== "serviceAccount") throw new Error(`got ${obj.object.case}`);
    const sa = obj.object.value;
    expect(sa.$typeName).toBe("k8s.io.api.core.v1.ServiceAccount");
    expect(sa.metadata?.name).toBe("robot");
    expect(sa.metadata?.namespace).toBe("ns1");
    expect(sa.metadata?.annotations).toEqual({ peer: "alice/team" });
    expect(sa.automountServiceAccountToken).toBe(false);
    expect(trailers?.get("x-served-by")).toEqual(["test-server"]);
    expect(seenByWrap.at(-1)).toEqual({
      method: "Get",
      trace: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      call: "get-1",
    });
  });

  it("keeps optional int64 presence across the wire", async () => {
    const list = await client.list({ resource: "serviceaccounts" });
    expect(list.resourceVersion).toBe("7");
    expect(list.remainingItemCount).toBe(0n);
  });

  it("streams three watch events in order and then the trailers", async () => {
    let trailers: grpc.Metadata | undefined;
    const events: string[] = [];
    for await (const ev of client.watch({ namespace: "three" }, { onTrailers: (md) => (trailers = md) })) {
      events.push(`${ev.type}:${ev.resourceVersion}:${ev.object?.object.value?.metadata?.name}`);
    }
    expect(events).toEqual(["ADDED:1:sa-1", "MODIFIED:2:sa-2", "DELETED:3:sa-3"]);
    expect(trailers).toBeInstanceOf(grpc.Metadata);
  });

  it("maps a thrown error to a status (toStatus) and to the caller's error (fromError)", async () => {
    let trailers: grpc.Metadata | undefined;
    const err = await client
      .delete(
        { resource: "serviceaccounts", namespace: "ns1", name: "ghost" },
        { onTrailers: (md) => (trailers = md) },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallFailed);
    expect(err).toMatchObject({ code: grpc.status.NOT_FOUND, message: 'serviceaccounts "ghost" not found' });
    expect(trailers?.get("x-method")).toEqual(["Delete"]);

    const boom = await client.update({}).catch((e: unknown) => e);
    expect(boom).toMatchObject({ code: grpc.status.INTERNAL, message: "boom" });
  });

  it("ends a stream whose handler throws with the mapped status, and keeps serving", async () => {
    const got: string[] = [];
    const err = await (async () => {
      for await (const ev of client.watch({ namespace: "fail" })) got.push(ev.type);
    })().catch((e: unknown) => e);
    expect(got).toEqual(["ADDED"]);
    expect(err).toMatchObject({ code: grpc.status.NOT_FOUND, message: "watch broke" });
    const again = await client.get({ name: "still-up" });
    expect(again.object.value?.metadata?.name).toBe("still-up");
  });

  it("cancels the server call when the client stops iterating a watch", async () => {
    watchAborted = deferred<void>();
    for await (const ev of client.watch({ namespace: "forever" })) {
      expect(ev.type).toBe("ADDED");
      break;
    }
    await withTimeout(watchAborted.promise, 5_000, "server-side ctx.signal abort");
  });

  it("cancels a unary call when the caller's AbortSignal fires", async () => {
    createAborted = deferred<void>();
    const ac = new AbortController();
    const pending = client.create({}, { signal: ac.signal }).catch((e: unknown) => e);
    await sleep(100);
    ac.abort();
    expect(await pending).toMatchObject({ code: grpc.status.CANCELLED });
    await withTimeout(createAborted.promise, 5_000, "server-side ctx.signal abort");
  });

  it("respects backpressure: a paused reader stops the producer; all 2000 messages arrive in order", async () => {
    produced = 0;
    const it = client.watch({ namespace: "many" })[Symbol.asyncIterator]();
    expect((await it.next()).value?.resourceVersion).toBe("1");
    await sleep(300); // the reader pauses; without waiting for 'drain' the handler would run to 2000
    const producedWhilePaused = produced;
    let n = 1;
    for (let r = await it.next(); !r.done; r = await it.next()) {
      n++;
      if (r.value.resourceVersion !== String(n))
        throw new Error(`out of order at ${n}: ${r.value.resourceVersion}`);
    }
    expect(n).toBe(2000);
    expect(producedWhilePaused).toBeLessThan(500);
  });

  it("refuses a client without a client certificate", async () => {
    const anon = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createSsl(pki.ca), tlsName);
    try {
      const c = createClient(ObjectService, anon);
      const err = await c.get({ name: "x" }, { deadline: Date.now() + 5_000 }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: grpc.status.UNAVAILABLE });
    } finally {
      anon.close();
    }
  });

  it("refuses to register an incomplete implementation", () => {
    const { watch: _omitted, ...partial } = impl;
    expect(() =>
      addService(new grpc.Server(), ObjectService, partial as unknown as ServiceImpl<typeof ObjectService>),
    ).toThrow(new TypeError('tokenplane.v1.ObjectService.Watch: no implementation for "watch"'));
  });

  it("derives handler and client types from the generated service", () => {
    // Compile-time assertions (tsc -b checks this file): a regression in the mapped types fails the build.
    const typed = (c: ServiceClient<typeof ObjectService>) => {
      // @ts-expect-error Watch is server-streaming: an AsyncIterable, not a Promise.
      void c.watch({}).then;
      // @ts-expect-error GetRequest has no field "nme".
      void c.get({ nme: "x" });
      return c.get({ name: "x" }).then((o) => o.object.case);
    };
    const handler: ServiceImpl<typeof ObjectService>["get"] = async (req) => ({
      object: { case: "namespace", value: { metadata: { name: req.name } } },
    });
    expect(typeof typed).toBe("function");
    expect(typeof handler).toBe("function");
  });
});
