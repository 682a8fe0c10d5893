/**
 * Runs the real `kubectl` (1.32 on these machines) against a test stack, isolated from the
 * user's own `~/.kube`: its own HOME and discovery cache directory.
 */
import { execFile } from "node:child_process";

export interface KubectlResult {
  stdout: string;
  stderr: string;
  /** Exit code (0 = success). */
  code: number;
}

export interface KubectlOptions {
  kubeconfig: string;
  /** `--cache-dir`: discovery cache, per stack so servers do not share stale discovery. */
  cacheDir: string;
  /** HOME for kubectl (keeps ~/.kube untouched). */
  home: string;
  /** Data for stdin (`-f -`). */
  input?: string;
  /** Default 60 s. */
  timeoutMs?: number;
}

/** The kubectl binary: `$KUBECTL` or `kubectl` on PATH. */
export const kubectlBinary = process.env.KUBECTL ?? "kubectl";

/** Runs kubectl; never rejects for a non-zero exit (the result carries the code). */
export function runKubectl(args: string[], options: KubectlOptions): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      kubectlBinary,
      ["--kubeconfig", options.kubeconfig, "--cache-dir", options.cacheDir, ...args],
      {
        env: { ...process.env, HOME: options.home, KUBECONFIG: options.kubeconfig },
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err && typeof (err as { code?: unknown }).code !== "number") {
          const e = err as NodeJS.ErrnoException;
          if (e.code === "ENOENT") {
            reject(
              new Error(
                `kubectl was not found (${kubectlBinary}); install it with: apt-get install -y kubectl`,
              ),
            );
            return;
          }
          if ((err as { killed?: boolean }).killed) {
            reject(new Error(`kubectl ${args.join(" ")} timed out\n${stderr}`));
            return;
          }
        }
        resolve({ stdout, stderr, code: err ? Number((err as { code?: number }).code ?? 1) : 0 });
      },
    );
    if (options.input !== undefined) {
      child.stdin?.end(options.input);
    }
  });
}
