/**
 * Reading a request body under the size cap (`--max-request-bytes`, Kubernetes' 3 MiB
 * `MaxRequestBodyBytes`): a body over the limit is a 413 `Request entity too large: limit is
 * <n>`, decided from `Content-Length` when the client sends one, else while reading.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { newRequestEntityTooLarge } from "@tokenplane/apimachinery";

/**
 * Reads the whole body. On 413 the rest of the upload is discarded and the connection is marked
 * to close after the response, so a large upload does not keep the socket busy.
 */
export function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => {
      res.setHeader("Connection", "close");
      req.removeAllListeners("data");
      req.resume();
      reject(newRequestEntityTooLarge(`limit is ${limit}`));
    };
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) {
      tooLarge();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        tooLarge();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks))));
    req.on("error", reject);
  });
}
