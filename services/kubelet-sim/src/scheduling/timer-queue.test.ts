import { FakeClock } from "@tokenplane/runtime";
import { describe, expect, it } from "vitest";
import { createTimerQueue } from "./timer-queue.js";

describe("createTimerQueue", () => {
  it("runs callbacks in due order on a driven clock, with one sleep for all of them", async () => {
    const clock = new FakeClock(1000);
    const q = createTimerQueue({ clock });
    const ran: string[] = [];
    q.at(1300, () => ran.push("c@1300"));
    q.at(1100, () => ran.push("a@1100"));
    q.at(1100, () => ran.push("b@1100"));
    const loop = q.run();
    await clock.advance(0);
    expect(clock.pendingSleeps).toBe(1);
    await clock.advance(100);
    expect(ran).toEqual(["a@1100", "b@1100"]);
    await clock.advance(199);
    expect(ran).toEqual(["a@1100", "b@1100"]);
    await clock.advance(1);
    expect(ran).toEqual(["a@1100", "b@1100", "c@1300"]);
    expect(q.size()).toBe(0);
    q.stop();
    await loop;
  });

  it("wakes early for a timer sooner than the one it sleeps for", async () => {
    const clock = new FakeClock(0);
    const q = createTimerQueue({ clock });
    const ran: number[] = [];
    q.at(60_000, () => ran.push(60_000));
    const loop = q.run();
    await clock.advance(10);
    q.after(5, () => ran.push(clock.now()));
    await clock.advance(5);
    expect(ran).toEqual([15]);
    await clock.advance(60_000);
    expect(ran).toEqual([15, 60_000]);
    q.stop();
    await loop;
  });

  it("skips cancelled timers and counts only pending ones", async () => {
    const clock = new FakeClock(0);
    const q = createTimerQueue({ clock });
    const ran: string[] = [];
    const a = q.at(10, () => ran.push("a"));
    q.at(20, () => ran.push("b"));
    a.cancel();
    expect(a.pending()).toBe(false);
    expect(q.size()).toBe(1);
    const loop = q.run();
    await clock.advance(30);
    expect(ran).toEqual(["b"]);
    q.stop();
    await loop;
  });

  it("runs a past-due timer at once and survives a throwing callback", async () => {
    const clock = new FakeClock(100);
    const errors: unknown[] = [];
    const q = createTimerQueue({ clock, onError: (e) => errors.push(e) });
    const ran: string[] = [];
    q.at(0, () => {
      throw new Error("boom");
    });
    q.at(50, () => ran.push("late"));
    const loop = q.run();
    await clock.advance(0);
    expect(ran).toEqual(["late"]);
    expect(errors).toHaveLength(1);
    q.stop();
    await loop;
  });

  it("handles a burst of 100 000 timers in order", async () => {
    const clock = new FakeClock(0);
    const q = createTimerQueue({ clock });
    let last = -1;
    let inOrder = true;
    let count = 0;
    for (let i = 0; i < 100_000; i++) {
      const due = (i * 7919) % 100_000;
      q.at(due, () => {
        if (due < last) inOrder = false;
        last = due;
        count++;
      });
    }
    const loop = q.run();
    await clock.advance(100_000);
    expect(count).toBe(100_000);
    expect(inOrder).toBe(true);
    q.stop();
    await loop;
  });
});
