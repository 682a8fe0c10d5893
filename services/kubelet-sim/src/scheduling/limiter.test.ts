import { newServiceUnavailable, newTooManyRequests } from "@tokenplane/apimachinery";
import { FakeClock } from "@tokenplane/runtime";
import { describe, expect, it } from "vitest";
import { createLimiter, retryAfterMs } from "./limiter.js";

/** A call that resolves when the test says so. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
const tick = () => new Promise((r) => setImmediate(r));

describe("createLimiter", () => {
  it("runs at most max calls at once, in arrival order", async () => {
    const clock = new FakeClock(0);
    const limiter = createLimiter({ name: "t", max: 2, clock });
    const started: number[] = [];
    const calls = [0, 1, 2, 3].map(() => deferred<number>());
    const results = calls.map((d, i) =>
      limiter.run(() => {
        started.push(i);
        return d.promise;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    expect(limiter.active()).toBe(2);
    expect(limiter.waiting()).toBe(2);
    calls[1]!.resolve(1);
    await tick();
    expect(started).toEqual([0, 1, 2]);
    calls[0]!.resolve(0);
    calls[2]!.resolve(2);
    calls[3]!.resolve(3);
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3]);
    expect(limiter.active()).toBe(0);
  });

  it("pauses the whole line for Retry-After on 429 and retries the call", async () => {
    const clock = new FakeClock(0);
    const pauses: number[] = [];
    const limiter = createLimiter({ name: "t", max: 4, clock, onThrottled: (ms) => pauses.push(ms) });
    let attempts = 0;
    const throttled = limiter.run(async () => {
      attempts++;
      if (attempts === 1) throw newTooManyRequests("slow down", 3);
      return "ok";
    });
    await tick();
    const startedAt: number[] = [];
    const other = limiter.run(async () => {
      startedAt.push(clock.now());
      return "other";
    });
    await tick();
    expect(pauses).toEqual([3000]);
    expect(startedAt).toEqual([]);
    await clock.advance(2999);
    expect(startedAt).toEqual([]);
    await clock.advance(1);
    expect(await throttled).toBe("ok");
    expect(await other).toBe("other");
    expect(startedAt).toEqual([3000]);
    expect(attempts).toBe(2);
  });

  it("hands other errors to the caller at once", async () => {
    const limiter = createLimiter({ name: "t", max: 1, clock: new FakeClock(0) });
    await expect(limiter.run(() => Promise.reject(newServiceUnavailable("down")))).rejects.toThrow("down");
    expect(limiter.active()).toBe(0);
  });

  it.each([
    [newTooManyRequests("x", 5), 5000],
    [newTooManyRequests("x", 0), 1000],
    [newServiceUnavailable("x"), undefined],
    [new Error("x"), undefined],
  ])("reads the pause of %s", (err, expected) => {
    expect(retryAfterMs(err)).toBe(expected);
  });
});
