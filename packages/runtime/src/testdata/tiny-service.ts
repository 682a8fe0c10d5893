/**
 * A tiny service run through `runService` in a child process by service.test.ts: it serves the
 * KeySetService, finishes start-up after `--startup-delay`, optionally calls itself as if it were
 * the apiserver (`--call-self`), is ready while `--ready-file` exists (when given), and logs when
 * its own closer runs.
 */
import { existsSync } from "node:fs";
import { tokenplanev1 } from "@tokenplane/proto";
import { apiserverClientFlags, runService } from "../service.js";

await runService(
  {
    name: "tiny",
    summary: "A tiny service for the runtime's tests.",
    flags: {
      ...apiserverClientFlags,
      "call-self": {
        type: "bool",
        default: false,
        help: "call its own KeySetService through rt.apiserver()",
      },
      "startup-delay": { type: "duration", default: 0, help: "time the start-up callback takes" },
      "fail-start": { type: "bool", default: false, help: "make the start-up callback throw" },
      "ready-file": { type: "string", default: "", help: "ready only while this file exists" },
    },
  },
  async (rt) => {
    await rt.clock.sleep(rt.cfg.startupDelay);
    if (rt.cfg.failStart) throw new Error("start-up refused by --fail-start");
    rt.grpc.addService(tokenplanev1.KeySetService, {
      getKeySet: async () => ({ issuers: [`https://${rt.cfg.bindAddress}`] }),
    });
    if (rt.cfg.callSelf) {
      const keys = await rt.apiserver().keys.getKeySet({});
      rt.log.info({ issuers: keys.issuers }, "called itself");
    }
    rt.shutdown.add("tiny work", async () => {
      rt.log.info({ serving: rt.grpc.health.isServing() }, "tiny closer ran");
    });
    const readyFile = rt.cfg.readyFile;
    return readyFile === "" ? {} : { ready: () => existsSync(readyFile) };
  },
);
