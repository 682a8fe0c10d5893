/**
 * A free TCP port on 127.0.0.1, for tests that need an address where nothing listens (the
 * testing package has the same helper, but this package cannot depend on it). Not exported.
 */
import { createServer } from "node:net";

/** Binds port 0 on 127.0.0.1, reads the port and releases it. */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
