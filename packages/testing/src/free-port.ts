/**
 * Free loopback ports for servers that cannot listen on port 0 themselves (a child process whose
 * port must be known before it starts and kept across restarts).
 */
import { createServer } from "node:net";

/**
 * A TCP port on `host` (default `127.0.0.1`) that was free a moment ago: the kernel picks it for a
 * listener on port 0, which is then closed. Another process can take it before the caller does;
 * callers that start a child on it should retry with a new port when binding fails.
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close((err) => (err === undefined ? resolve(port) : reject(err)));
    });
  });
}
