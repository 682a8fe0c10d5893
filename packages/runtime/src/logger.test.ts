import { generateKeyPairSync, randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";
import { redactNested, redactSecrets } from "./redact.js";
import { newTrace, runWithTrace } from "./trace.js";

/** A JWT-shaped string made at run time (never a literal token in a test file). */
function makeJwt(): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const header = b64({ alg: "RS256", kid: "k1" });
  const payload = b64({
    iss: "https://kubernetes.default.svc",
    sub: "system:serviceaccount:default:default",
  });
  return `${header}.${payload}.${randomBytes(64).toString("base64url")}`;
}

function makePem(): string {
  return generateKeyPairSync("ec", { namedCurve: "P-256" })
    .privateKey.export({ type: "pkcs8", format: "pem" })
    .toString();
}

function capture() {
  const lines: string[] = [];
  return {
    lines,
    destination: { write: (s: string) => void lines.push(s) },
    records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    text: () => lines.join(""),
  };
}

describe("createLogger", () => {
  it("writes JSON with the service and level", () => {
    const out = capture();
    const log = createLogger({
      service: "apiserver",
      destination: out.destination,
      pretty: false,
      level: "debug",
    });
    log.debug({ n: 1 }, "hello");
    log.trace("not written");
    const [rec] = out.records();
    expect(out.lines).toHaveLength(1);
    expect(rec).toMatchObject({ service: "apiserver", level: 20, msg: "hello", n: 1 });
  });

  it("adds trace fields inside runWithTrace only", () => {
    const out = capture();
    const log = createLogger({ service: "s", destination: out.destination, pretty: false });
    const t = newTrace("req-1");
    runWithTrace(t, () => log.info("inside"));
    log.info("outside");
    const [inside, outside] = out.records();
    expect(inside).toMatchObject({ trace_id: t.traceId, span_id: t.spanId, request_id: "req-1" });
    expect(outside).not.toHaveProperty("trace_id");
    expect(outside).not.toHaveProperty("request_id");
  });

  it("keeps tokens and keys out of every part of the output", () => {
    const out = capture();
    const log = createLogger({ service: "s", destination: out.destination, pretty: false });
    const jwt = makeJwt();
    const pem = makePem();
    const [header, payload, signature] = jwt.split(".") as [string, string, string];

    log.info({ token: jwt }, "object field");
    log.info({ status: { token: jwt } }, "nested field");
    log.info({ data: { token: jwt } }, "secret data");
    log.info({ req: { headers: { authorization: `Bearer ${jwt}` } } }, "request headers");
    log.info({ headers: { authorization: `Bearer ${jwt}` } }, "headers");
    log.info({ key: { privateKey: pem, keyPem: pem }, password: "hunter2" }, "keys");
    log.info(`message with ${jwt} inside`);
    log.info("format argument %s", jwt);
    log.info({ detail: `free text Bearer ${jwt} in a field` }, "free text");
    log.error(new Error(`token ${jwt} was rejected`));
    log.error({ err: new Error(`wrapped ${jwt}`) }, "wrapped error");
    log.error(new Error("outer", { cause: new Error(`cause ${jwt}`) }), "with cause");
    log.warn(`loaded key ${pem}`);
    log.warn({ note: `cut off ${pem.slice(0, 60)}` }, "truncated key");

    const text = out.text();
    for (const secret of [
      jwt,
      header,
      payload,
      signature,
      "hunter2",
      "PRIVATE KEY-----\\n",
      pem.split("\n")[1] ?? "x",
    ]) {
      expect(text).not.toContain(secret);
    }
    const records = out.records();
    expect(records).toHaveLength(14);
    expect(records[0]).toMatchObject({ token: "[REDACTED]", msg: "object field" });
    expect(records[1]).toMatchObject({ status: { token: "[REDACTED]" } });
    expect(records[2]).toMatchObject({ data: { token: "[REDACTED]" } });
    expect(records[3]).toMatchObject({ req: { headers: { authorization: "[REDACTED]" } } });
    expect(records[4]).toMatchObject({ headers: { authorization: "[REDACTED]" } });
    expect(records[5]).toMatchObject({
      key: { privateKey: "[REDACTED]", keyPem: "[REDACTED]" },
      password: "[REDACTED]",
    });
    expect(records[6]?.msg).toBe("message with [REDACTED] inside");
    expect(records[7]?.msg).toBe("format argument [REDACTED]");
    expect(records[8]?.detail).toBe("free text Bearer [REDACTED] in a field");
    expect(records[9]?.msg).toBe("token [REDACTED] was rejected");
    expect(records[9]?.err).toMatchObject({ type: "Error", message: "token [REDACTED] was rejected" });
    expect(records[10]?.err).toMatchObject({ message: "wrapped [REDACTED]" });
    expect(records[12]?.msg).toBe("loaded key [REDACTED]\n");
    expect(records[13]?.note).toBe("cut off [REDACTED]");
  });

  it("redacts child logger bindings", () => {
    const out = capture();
    const log = createLogger({ service: "s", destination: out.destination, pretty: false });
    const jwt = makeJwt();
    log.child({ token: jwt, client: { token: jwt, name: "kubelet" } }).info("bound");
    expect(out.records()[0]).toMatchObject({
      token: "[REDACTED]",
      client: { token: "[REDACTED]", name: "kubelet" },
    });
  });

  it("does not change the caller's objects", () => {
    const out = capture();
    const log = createLogger({ service: "s", destination: out.destination, pretty: false });
    const jwt = makeJwt();
    const fields = { token: jwt, status: { token: jwt }, req: { headers: { authorization: jwt } } };
    log.info(fields, "x");
    expect(fields).toEqual({ token: jwt, status: { token: jwt }, req: { headers: { authorization: jwt } } });
  });

  it("does not change the caller's error", () => {
    const out = capture();
    const log = createLogger({ service: "s", destination: out.destination, pretty: false });
    const jwt = makeJwt();
    const err = new Error(`bad ${jwt}`);
    log.error(err);
    expect(err.message).toBe(`bad ${jwt}`);
  });

  it("writes pretty, human-readable lines when asked, still redacted", async () => {
    const chunks: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    });
    const log = createLogger({ service: "kubelet-sim", destination, pretty: true });
    const jwt = makeJwt();
    log.info({ node: "node-1" }, `rotated ${jwt}`);
    log.flush();
    await new Promise((r) => setImmediate(r));
    const raw = chunks.join("");
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI colour codes
    const text = raw.replace(/\x1b\[[0-9;]*m/g, "");
    expect(raw).not.toBe(text); // colourised
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: rotated \[REDACTED\]\n/);
    expect(text).toContain('node: "node-1"');
    expect(text).toContain('service: "kubelet-sim"');
    expect(text).not.toContain(jwt.split(".")[1]);
    expect(() => JSON.parse(text)).toThrow();
  });
});

describe("redactSecrets", () => {
  it("leaves ordinary text alone", () => {
    expect(redactSecrets("eyJ is not a token; a.b.c neither")).toBe("eyJ is not a token; a.b.c neither");
  });

  it("replaces each token separately", () => {
    const a = makeJwt();
    const b = makeJwt();
    expect(redactSecrets(`${a} and ${b}.`)).toBe("[REDACTED] and [REDACTED].");
  });

  it("replaces a PEM private key block but not a certificate", () => {
    const cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
    expect(redactSecrets(`k=${makePem()}|${cert}`)).toBe(`k=[REDACTED]\n|${cert}`);
  });
});

describe("redactNested", () => {
  it("censors the wildcard paths one level down and copies only what changes", () => {
    const untouched = { a: 1 };
    const obj = {
      plain: "x",
      untouched,
      list: [{ token: "t" }],
      creds: { token: "t", password: "p", privateKey: "k", keyPem: "k", other: 1 },
      call: { headers: { authorization: "Bearer t", accept: "json" }, authorization: "a" },
    };
    const out = redactNested(obj);
    expect(out).toEqual({
      plain: "x",
      untouched,
      list: [{ token: "t" }],
      creds: {
        token: "[REDACTED]",
        password: "[REDACTED]",
        privateKey: "[REDACTED]",
        keyPem: "[REDACTED]",
        other: 1,
      },
      call: { headers: { authorization: "[REDACTED]", accept: "json" }, authorization: "[REDACTED]" },
    });
    expect(out.untouched).toBe(untouched);
    expect(obj.creds.token).toBe("t");
    expect(obj.call.headers.authorization).toBe("Bearer t");
  });

  it("returns the same object when there is nothing to redact", () => {
    const obj = { a: { b: 1 }, c: "token" };
    expect(redactNested(obj)).toBe(obj);
  });

  it("keeps an Error an Error", () => {
    const err = Object.assign(new Error("boom"), { token: "t" });
    const out = redactNested({ err }).err;
    expect(out).toBeInstanceOf(Error);
    expect(out.message).toBe("boom");
    expect(out.token).toBe("[REDACTED]");
    expect(err.token).toBe("t");
  });
});
