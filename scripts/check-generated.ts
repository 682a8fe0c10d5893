/**
 * Fails (exit 1) when packages/proto/src/gen is not what `pnpm generate` would produce from proto/.
 *
 * Runs `buf generate` into a temporary directory (`-o` prefixes the template's `out`, so the same
 * buf.gen.yaml is used), passes each fresh file through `biome check --write` on stdin as if it
 * lived at its committed path (what `pnpm generate` does: format + organize imports, same config,
 * nothing written into the tree), and compares byte for byte.
 * Never modifies the working tree.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, relative } from "node:path";

const root = join(import.meta.dirname, "..");
const genDir = "packages/proto/src/gen";
const bin = join(root, "node_modules", ".bin");
// buf finds protoc-gen-es on PATH; put the local binaries first however this script was started.
const env = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ""}` };

/** Every file under dir, as paths relative to dir with forward slashes. */
function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)).split("\\").join("/"))
    .sort();
}

const tmp = mkdtempSync(join(tmpdir(), "tokenplane-gen-"));
try {
  execFileSync(join(bin, "buf"), ["generate", "-o", tmp], { cwd: root, env, stdio: "inherit" });
  const freshDir = join(tmp, genDir);
  const fresh = listFiles(freshDir);
  let committed: string[] = [];
  try {
    committed = listFiles(join(root, genDir));
  } catch {
    // No committed output at all: every fresh file is reported as missing below.
  }
  const differing: string[] = [];
  for (const file of new Set([...fresh, ...committed])) {
    if (!fresh.includes(file) || !committed.includes(file)) {
      differing.push(`${file} (${fresh.includes(file) ? "missing" : "no longer generated"})`);
      continue;
    }
    const formatted = execFileSync(
      join(bin, "biome"),
      ["check", "--write", `--stdin-file-path=${genDir}/${file}`],
      {
        cwd: root,
        env,
        input: readFileSync(join(freshDir, file)),
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    if (!formatted.equals(readFileSync(join(root, genDir, file)))) differing.push(file);
  }
  if (differing.length > 0) {
    console.log(`${genDir} is stale; run \`pnpm generate\`. Differing files:`);
    for (const file of differing) console.log(`  ${genDir}/${file}`);
    process.exitCode = 1;
  } else {
    console.log(`${genDir} is up to date (${fresh.length} files).`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
