/**
 * docker-compose.yml stays runnable although no Docker engine runs here: every service's command
 * names an entry point that exists, and every flag it passes is one that service's `--help` lists
 * (a renamed flag would otherwise only fail inside a container).
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, "..");
const compose = parse(readFileSync(path.join(repoRoot, "docker-compose.yml"), "utf8"), { merge: true }) as {
  services: Record<string, { command?: string[]; image?: string }>;
};

const tokenplaneServices = Object.entries(compose.services).filter(([, s]) => s.image === "tokenplane:dev");

describe("docker-compose.yml", () => {
  it("runs the bootstrap and all five services", () => {
    expect(tokenplaneServices.map(([name]) => name).sort()).toEqual(
      ["admission", "apiserver", "bootstrap", "kubelet-sim", "oidc-discovery", "token-controller"].sort(),
    );
  });

  it.each(tokenplaneServices)(
    "%s: the entry point exists and accepts every flag given",
    async (_name, service) => {
      const command = service.command ?? [];
      expect(command.slice(0, 3)).toEqual(["node", "--import", "tsx"]);
      const entry = command[3]!;
      expect(existsSync(path.join(repoRoot, entry))).toBe(true);
      const { stdout } = await run(process.execPath, ["--import", "tsx", entry, "--help"], { cwd: repoRoot });
      for (const arg of command.slice(4)) {
        const flag = /^--([a-z0-9-]+)=/.exec(arg)?.[1];
        expect(flag, `argument ${arg}`).toBeDefined();
        expect(stdout, `--${flag} in ${entry} --help`).toContain(`--${flag}`);
      }
    },
  );
});
