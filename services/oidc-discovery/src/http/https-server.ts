/**
 * The HTTPS listener relying parties talk to. Server-only TLS (relying parties are anonymous);
 * the certificate is read once at start.
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { RequestListener } from "./discovery-handler.js";

/** Options of {@link startHttpsServer}. */
export interface HttpsServerOptions {
  /** Address to listen on. */
  readonly host: string;
  /** Port; 0 picks a free one. */
  readonly port: number;
  /** Certificate chain (PEM). */
  readonly certFile: string;
  /** Its private key (PEM). */
  readonly keyFile: string;
  /** The request listener. */
  readonly handler: RequestListener;
  /** Idle keep-alive connections are closed after this many milliseconds; default 5000 (Node's). */
  readonly keepAliveTimeoutMs?: number;
}

/** A listening HTTPS server. */
export interface HttpsServer {
  /** The bound port. */
  readonly port: number;
  /** Stops accepting, ends idle connections, and resolves when every connection is gone. */
  close(): Promise<void>;
}

/** Reads the certificate, listens, and resolves once bound (rejects when the port is taken). */
export async function startHttpsServer(options: HttpsServerOptions): Promise<HttpsServer> {
  const [cert, key] = await Promise.all([readFile(options.certFile), readFile(options.keyFile)]);
  const server = createServer({ cert, key, minVersion: "TLSv1.2" }, options.handler);
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Requests here are tiny; whatever is still open after a moment is a stuck client.
        setTimeout(() => server.closeAllConnections(), 1_000).unref();
      }),
  };
}
