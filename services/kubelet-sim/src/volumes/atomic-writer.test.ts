import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isKubeletSimError } from "../errors.js";
import { canChown, timestampDirPrefix, validatePayloadPath, writeAtomically } from "./atomic-writer.js";
import type { FileProjection } from "./projection.js";

const enc = new TextEncoder();
const file = (text: string, mode = 0o644, owner: { uid?: number; gid?: number } = {}): FileProjection => ({
  data: enc.encode(text),
  mode,
  ...owner,
});
const NOW = Date.UTC(2024, 0, 2, 3, 4, 5);

let dir: string;
beforeEach(() => {
  dir = path.join(mkdtempSync(path.join(tmpdir(), "atomic-writer-")), "vol");
});
afterEach(() => {
  rmSync(path.dirname(dir), { recursive: true, force: true });
});

describe("writeAtomically", () => {
  it("lays files out as the kubelet does: a timestamped dir, ..data and symlinks into it", async () => {
    const result = writeAtomically(
      dir,
      new Map([
        ["token", file("t1")],
        ["ca.crt", file("ca")],
        ["sub/x", file("x")],
      ]),
      { now: NOW, chown: false },
    );
    expect(result.written).toBe(true);
    expect(result.dataDir.startsWith("..2024_01_02_03_04_05.")).toBe(true);
    expect(readlinkSync(path.join(dir, "..data"))).toBe(result.dataDir);
    expect(readlinkSync(path.join(dir, "token"))).toBe("..data/token");
    expect(readlinkSync(path.join(dir, "sub"))).toBe("..data/sub");
    expect(readFileSync(path.join(dir, "token"), "utf8")).toBe("t1");
    expect(readFileSync(path.join(dir, "sub/x"), "utf8")).toBe("x");
    expect(readdirSync(dir).sort()).toEqual(["..data", result.dataDir, "ca.crt", "sub", "token"].sort());
    expect(statSync(path.join(dir, result.dataDir)).mode & 0o7777).toBe(0o755);
  });

  it("skips a write when nothing changed, and replaces the data dir when something did", async () => {
    const first = writeAtomically(dir, new Map([["token", file("t1")]]), { now: NOW, chown: false });
    const same = writeAtomically(dir, new Map([["token", file("t1")]]), {
      now: NOW + 1000,
      chown: false,
    });
    expect(same).toEqual({ written: false, dataDir: first.dataDir });
    const modeOnly = writeAtomically(dir, new Map([["token", file("t1", 0o600)]]), {
      now: NOW + 2000,
      chown: false,
    });
    expect(modeOnly.written).toBe(true);
    const second = writeAtomically(dir, new Map([["ns", file("n")]]), {
      now: NOW + 3000,
      chown: false,
    });
    expect(second.written).toBe(true);
    // token left the payload: its symlink is gone, as are the old data dirs.
    expect(readdirSync(dir).sort()).toEqual(["..data", second.dataDir, "ns"].sort());
  });

  it("writes without comparing when the caller says the payload changed", async () => {
    const first = writeAtomically(dir, new Map([["token", file("t1")]]), { now: NOW, chown: false });
    const again = writeAtomically(dir, new Map([["token", file("t1")]]), {
      now: NOW,
      chown: false,
      changed: true,
    });
    expect(again.written).toBe(true);
    expect(again.dataDir).not.toBe(first.dataDir);
    expect(readdirSync(dir).sort()).toEqual(["..data", again.dataDir, "token"].sort());
  });

  it.each([
    ["runAsUser", { uid: 1000 }, 0o600, undefined, 1000, 0],
    ["fsGroup", { gid: 2000 }, 0o640, 2000, 0, 2000],
    ["both", { uid: 1000, gid: 2000 }, 0o640, 2000, 1000, 2000],
    ["neither", {}, 0o644, undefined, 0, 0],
  ])(
    "sets the mode and owner of %s (reference §5), as root",
    async (_what, owner, mode, fsGroup, uid, gid) => {
      const result = writeAtomically(dir, new Map([["token", file("t", mode, owner)]]), {
        now: NOW,
        chown: canChown(),
        ...(fsGroup === undefined ? {} : { fsGroup }),
      });
      const st = statSync(path.join(dir, "token"));
      expect((st.mode & 0o777).toString(8)).toBe(mode.toString(8));
      if (canChown()) {
        expect(st.uid).toBe(uid);
        expect(st.gid).toBe(gid);
        expect(statSync(path.join(dir, result.dataDir)).gid).toBe(fsGroup ?? 0);
        expect((statSync(path.join(dir, result.dataDir)).mode & 0o7777).toString(8)).toBe(
          fsGroup === undefined ? "755" : "2755",
        );
      }
    },
  );

  it.each([
    ["/etc/passwd", "invalid path: must be relative path: /etc/passwd"],
    ["a/../b", "invalid path: must not contain '..': a/../b"],
    ["..data", "invalid path: must not start with '..': ..data"],
    ["", 'invalid path: must not be empty: ""'],
    [`${"a".repeat(256)}`, "invalid path: filenames must be less than or equal to 255 characters"],
  ])("refuses the path %j", async (p, message) => {
    expect(validatePayloadPath(p)).toBe(message);
    let err: unknown;
    try {
      writeAtomically(dir, new Map([[p, file("x")]]), { now: NOW, chown: false });
    } catch (e) {
      err = e;
    }
    expect(isKubeletSimError(err, "ERR_PAYLOAD_PATH")).toBe(true);
    expect((err as Error).message).toBe(message);
  });

  it("allows dot names that are not reserved", () => {
    expect(validatePayloadPath(".hidden")).toBeUndefined();
    expect(validatePayloadPath("a/..b")).toBeUndefined();
  });

  it("names the data dir after UTC time", () => {
    expect(timestampDirPrefix(NOW)).toBe("..2024_01_02_03_04_05.");
  });

  it("never lets a concurrent reader see a partial file: old or new content only", async () => {
    const size = 512 * 1024;
    const versions = ["A", "B", "C", "D"].map((c) => c.repeat(size));
    writeAtomically(dir, new Map([["token", file(versions[0]!)]]), { now: NOW, chown: false });
    // A reader in another thread opens the user-visible path in a tight loop while we swap.
    const worker = new Worker(
      `
      const { readFileSync } = require("node:fs");
      const { parentPort, workerData } = require("node:worker_threads");
      const seen = {}; let enoent = 0; let partial = 0; let reads = 0;
      const stop = Date.now() + workerData.ms;
      while (Date.now() < stop) {
        try {
          const text = readFileSync(workerData.file, "latin1");
          reads++;
          const ok = text.length === workerData.size && text[0].repeat(workerData.size) === text;
          if (ok) seen[text[0]] = (seen[text[0]] || 0) + 1; else partial++;
        } catch (e) { if (e.code === "ENOENT") enoent++; else throw e; }
      }
      parentPort.postMessage({ seen, enoent, partial, reads });
      `,
      { eval: true, workerData: { file: path.join(dir, "token"), size, ms: 1500 } },
    );
    const done = new Promise<{
      seen: Record<string, number>;
      enoent: number;
      partial: number;
      reads: number;
    }>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    let writes = 0;
    const until = Date.now() + 1400;
    while (Date.now() < until) {
      writes++;
      writeAtomically(dir, new Map([["token", file(versions[writes % versions.length]!)]]), {
        now: NOW + writes * 1000,
        chown: false,
      });
    }
    const report = await done;
    await worker.terminate();
    expect(writes).toBeGreaterThan(10);
    expect(report.reads).toBeGreaterThan(10);
    expect(report.partial).toBe(0);
    expect(Object.keys(report.seen).length).toBeGreaterThan(1);
    // Exactly one data dir is left and the link is intact.
    expect(lstatSync(path.join(dir, "token")).isSymbolicLink()).toBe(true);
    expect(readdirSync(dir).filter((n) => n.startsWith("..2024")).length).toBe(1);
  });
});
