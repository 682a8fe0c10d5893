/** A private nats-server (from PATH) on a free loopback port, for process tests. */
import { type ChildProcess, spawn } from "node:child_process";
import { connect, createServer } from "node:net";

/** A running nats-server. */
export interface TestNats {
  readonly url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Starts `nats-server -a 127.0.0.1 -p <free port>` and waits until it accepts connections. */
export async function startTestNats(): Promise<TestNats> {
  const port = await freePort();
  const child: ChildProcess = spawn("nats-server", ["-a", "127.0.0.1", "-p", String(port)], {
    stdio: "ignore",
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  for (let i = 0; i < 200 && !(await accepts(port)); i++) await new Promise((r) => setTimeout(r, 25));
  return {
    url: `nats://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
