import { newConflict, newInternalError } from "@tokenplane/apimachinery";
import { FakeClock } from "@tokenplane/runtime";
import { describe, expect, it } from "vitest";
import { REMOVE_TOKEN_BACKOFF, retryOnConflict } from "./retry-on-conflict.js";

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const conflict = () =>
  newConflict({ group: "", resource: "serviceaccounts" }, "sa", "the object has been modified");

describe("retryOnConflict (RemoveTokenBackoff: 10 steps, 100 ms, jitter 1.0)", () => {
  it("retries conflicts with jittered pauses and returns the first success", async () => {
    const clock = new FakeClock(0);
    const times: number[] = [];
    const p = retryOnConflict(
      clock,
      REMOVE_TOKEN_BACKOFF,
      async () => {
        times.push(clock.now());
        if (times.length < 3) throw conflict();
        return "ok";
      },
      () => 0.5,
    );
    await tick();
    await clock.advance(1_000);
    await expect(p).resolves.toBe("ok");
    expect(times).toEqual([0, 150, 300]);
  });

  it("gives up after 10 attempts with the last conflict", async () => {
    const clock = new FakeClock(0);
    let attempts = 0;
    const p = retryOnConflict(clock, REMOVE_TOKEN_BACKOFF, async () => {
      attempts++;
      throw conflict();
    });
    const settled = expect(p).rejects.toThrow("the object has been modified");
    await tick();
    await clock.advance(10_000);
    await settled;
    expect(attempts).toBe(10);
  });

  it("does not retry other errors", async () => {
    let attempts = 0;
    await expect(
      retryOnConflict(new FakeClock(0), REMOVE_TOKEN_BACKOFF, async () => {
        attempts++;
        throw newInternalError(new Error("boom"));
      }),
    ).rejects.toThrow("boom");
    expect(attempts).toBe(1);
  });
});
