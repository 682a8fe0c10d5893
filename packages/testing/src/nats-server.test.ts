import { existsSync } from "node:fs";
import { connect, createServer } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { candidatePorts, ephemeralPortRange, freePort } from "./free-port.js";
import { findNatsServer, type NatsServer, startNatsServer } from "./nats-server.js";

/** The server's INFO line as an object, or the connection error's code. */
function info(port: number): Promise<Record<string, unknown> | string> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let data = "";
    socket.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    socket.on("data", (chunk) => {
      data += chunk.toString();
      const end = data.indexOf("\r\n");
      if (end === -1) return;
      socket.destroy();
      resolve(JSON.parse(data.slice(5, end)) as Record<string, unknown>);
    });
  });
}

describe("freePort", () => {
  it("returns a port that can be listened on, outside the kernel's ephemeral range", async () => {
    const port = await freePort();
    const [low, high] = ephemeralPortRange();
    expect(port).toBeGreaterThan(1024);
    expect(port).toBeLessThan(65536);
    expect(port < low || port > high).toBe(true);
    expect(await info(port)).toBe("ECONNREFUSED");
  });

  it("draws again when the drawn port is taken", async () => {
    const taken = await freePort();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(taken, "127.0.0.1", resolve));
    try {
      const [low, high] = candidatePorts();
      // The first draw hits the taken port, the second one lands elsewhere.
      const draws = [(taken - low + 0.5) / (high - low + 1), 0.5];
      const port = await freePort("127.0.0.1", () => draws.shift() ?? Math.random());
      expect(port).not.toBe(taken);
      expect(draws).toHaveLength(0);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("never hands out the same port twice in one process, even once it is free again", async () => {
    const first = await freePort();
    const [low, high] = candidatePorts();
    // The first four draws land on `first` (free again, but handed out), then random ones.
    let draws = 0;
    const at = (first - low + 0.5) / (high - low + 1);
    const second = await freePort("127.0.0.1", () => (++draws <= 4 ? at : Math.random()));
    expect(second).not.toBe(first);
    expect(draws).toBeGreaterThanOrEqual(5);
    expect(second >= low && second <= high).toBe(true);
  });

  it("reads the ephemeral range from the kernel's setting, with Linux's default as fallback", () => {
    expect(ephemeralPortRange(() => "40000\t50000\n")).toEqual([40000, 50000]);
    expect(
      ephemeralPortRange(() => {
        throw new Error("ENOENT");
      }),
    ).toEqual([32768, 60999]);
    expect(candidatePorts([32768, 60999])).toEqual([10081, 32767]);
    // Never a port Node's fetch refuses (the Fetch standard's bad ports end at 10080).
    expect(candidatePorts([20000, 64000])).toEqual([10081, 19999]);
    expect(candidatePorts([1024, 20000])).toEqual([20001, 65535]);
  });
});

describe("findNatsServer", () => {
  it("finds the binary (on PATH or in /usr/sbin)", () => {
    expect(findNatsServer()).toMatch(/\/nats-server$/);
    expect(findNatsServer("")).toMatch(/\/nats-server$/);
  });
});

describe("startNatsServer", () => {
  const servers: NatsServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it("starts a JetStream server on loopback and a free port", async () => {
    const server = await startNatsServer();
    servers.push(server);
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
    expect(existsSync(server.storeDir)).toBe(true);
    const i = await info(server.port);
    expect(i).toMatchObject({ jetstream: true, host: "127.0.0.1", port: server.port });
  });

  it("starts without JetStream when asked", async () => {
    const server = await startNatsServer({ jetstream: false });
    servers.push(server);
    const i = (await info(server.port)) as Record<string, unknown>;
    expect(i.jetstream).toBeUndefined();
  });

  it("restarts on the same port and directory, with a new process", async () => {
    const server = await startNatsServer();
    servers.push(server);
    const { port, storeDir, pid } = server;
    await server.restart({ signal: "SIGKILL" });
    expect(server.port).toBe(port);
    expect(server.storeDir).toBe(storeDir);
    expect(server.pid).not.toBe(pid);
    expect(await info(port)).toMatchObject({ jetstream: true, port });
    await server.restart();
    expect(await info(port)).toMatchObject({ jetstream: true, port });
  });

  it("stops the process and removes the directory; stop is idempotent", async () => {
    const server = await startNatsServer();
    const pid = server.pid;
    await server.stop();
    await server.stop();
    expect(existsSync(server.storeDir)).toBe(false);
    expect(await info(server.port)).toBe("ECONNREFUSED");
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(server.restart()).rejects.toThrow("nats-server was stopped; start a new one");
  });

  it("names the install command when the binary is missing", async () => {
    await expect(startNatsServer({ binary: "/nonexistent/nats-server" })).rejects.toThrow(
      "cannot run nats-server at /nonexistent/nats-server (ENOENT); install it with: apt-get install -y nats-server",
    );
  });

  it("reports start-up failures with the server's output", async () => {
    await expect(startNatsServer({ args: ["--no-such-flag"] })).rejects.toThrow(
      /nats-server exited during start-up/,
    );
  });
});
