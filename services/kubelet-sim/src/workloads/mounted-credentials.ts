/**
 * A simulated container's view of its service account volume, read the way client libraries read
 * `/var/run/secrets/kubernetes.io/serviceaccount` (client-go's in-cluster config re-reads the token
 * file periodically): the token and `ca.crt` are re-read whenever `..data` points at a new data
 * directory, from that directory, so a token and its CA always come from the same write.
 */
import { readFile, readlink } from "node:fs/promises";
import path from "node:path";
import { DATA_DIR_NAME } from "../volumes/atomic-writer.js";

/** The credentials a workload uses. */
export interface Credentials {
  readonly token: string;
  readonly ca: string;
  /** The data directory they came from (changes with every write). */
  readonly dataDir: string;
}

/** The service account volume of one pod. */
export class MountedCredentials {
  readonly #dir: string;
  readonly #tokenPath: string;
  readonly #caPath: string;
  #current: Credentials | undefined;

  /**
   * @param volumeDir the projected volume's directory
   * @param tokenPath the token file inside it (`token`)
   * @param caPath the CA file inside it (`ca.crt`)
   */
  constructor(volumeDir: string, tokenPath = "token", caPath = "ca.crt") {
    this.#dir = volumeDir;
    this.#tokenPath = tokenPath;
    this.#caPath = caPath;
  }

  /** The current credentials; re-read when the volume was rewritten. */
  async read(): Promise<Credentials> {
    for (let attempt = 0; ; attempt++) {
      const dataDir = await readlink(path.join(this.#dir, DATA_DIR_NAME));
      if (this.#current?.dataDir === dataDir) return this.#current;
      try {
        const dir = path.join(this.#dir, dataDir);
        const [token, ca] = await Promise.all([
          readFile(path.join(dir, this.#tokenPath), "utf8"),
          readFile(path.join(dir, this.#caPath), "utf8"),
        ]);
        this.#current = { token: token.trim(), ca, dataDir };
        return this.#current;
      } catch (err) {
        // The data directory was swapped and removed between readlink and open: read again.
        if ((err as NodeJS.ErrnoException).code !== "ENOENT" || attempt >= 3) throw err;
      }
    }
  }
}
