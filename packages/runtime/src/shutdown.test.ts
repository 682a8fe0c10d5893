import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";
import { handleShutdown, type ProcessLike, type ShutdownSignal } from "./shutdown.js";

class FakeProcess extends EventEmitter implements ProcessLike {
  readonly exits: number[] = [];
  override on(event: ShutdownSignal, listener: () => void): this {
    return super.on(event, listener);
  }
  override off(event: ShutdownSignal, listener: () => void): this {
    return super.off(event, listener);
  }
  exit(code: number): void {
    this.exits.push(code);
  }
  signal(s: ShutdownSignal): void {
    this.emit(s);
  }
}

function setup(timeoutMs?: number) {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({
    service: "t",
    pretty: false,
    destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  });
  const proc = new FakeProcess();
  const sd = handleShutdown({ log, process: proc, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  return { lines, proc, sd, msgs: () => lines.map((l) => l.msg) };
}

describe("handleShutdown", () => {
  it("runs closers in reverse order on SIGTERM and exits 0", async () => {
    const { proc, sd, lines } = setup();
    const order: string[] = [];
    sd.add("store", async () => void order.push("store"));
    sd.add("nats", async () => void order.push("nats"));
    sd.add("https", async () => void order.push("https"));
    proc.signal("SIGTERM");
    await sd.done;
    expect(order).toEqual(["https", "nats", "store"]);
    expect(proc.exits).toEqual([0]);
    expect(lines[0]).toMatchObject({ msg: "shutting down", reason: "received SIGTERM", closers: 3 });
    expect(lines.filter((l) => l.msg === "closed").map((l) => l.closer)).toEqual(["https", "nats", "store"]);
    expect(lines.at(-1)).toMatchObject({ msg: "shutdown complete", clean: true });
    expect(proc.listenerCount("SIGTERM")).toBe(0);
    expect(proc.listenerCount("SIGINT")).toBe(0);
  });

  it("logs a failing closer, runs the rest, and exits 1", async () => {
    const { proc, sd, lines } = setup();
    const order: string[] = [];
    sd.add("a", async () => void order.push("a"));
    sd.add("b", async () => {
      throw new Error("b broke");
    });
    sd.add("c", async () => void order.push("c"));
    await sd.shutdown("test");
    expect(order).toEqual(["c", "a"]);
    expect(proc.exits).toEqual([1]);
    expect(lines.find((l) => l.msg === "closing failed")).toMatchObject({
      closer: "b",
      err: { message: "b broke" },
    });
  });

  it("exits 1 when closers outlast the timeout", async () => {
    const { proc, sd, msgs } = setup(50);
    let secondRan = false;
    sd.add("second", async () => {
      secondRan = true;
    });
    sd.add("stuck", () => new Promise<void>(() => {}));
    proc.signal("SIGINT");
    await sd.done;
    expect(proc.exits).toEqual([1]);
    expect(secondRan).toBe(false);
    expect(msgs()).toContain("shutdown timed out");
  });

  it("exits at once on a second signal", async () => {
    const { proc, sd, msgs } = setup();
    let release!: () => void;
    sd.add("slow", () => new Promise<void>((r) => (release = r)));
    proc.signal("SIGTERM");
    await new Promise((r) => setImmediate(r));
    proc.signal("SIGINT");
    expect(proc.exits).toEqual([1]);
    expect(msgs()).toContain("second signal, exiting now");
    release();
    await sd.done;
  });

  it("returns the same promise for repeated shutdown calls and runs closers once", async () => {
    const { proc, sd } = setup();
    let runs = 0;
    sd.add("x", async () => void runs++);
    const a = sd.shutdown("one");
    const b = sd.shutdown("two");
    expect(a).toBe(b);
    await a;
    expect(runs).toBe(1);
    expect(proc.exits).toEqual([0]);
  });

  it("closes something added after shutdown began", async () => {
    const { sd } = setup();
    let release!: () => void;
    sd.add("slow", () => new Promise<void>((r) => (release = r)));
    void sd.shutdown("test");
    let lateClosed = false;
    sd.add("late", async () => {
      lateClosed = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(lateClosed).toBe(true);
    release();
    await sd.done;
  });
});
