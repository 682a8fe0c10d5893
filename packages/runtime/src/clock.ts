/**
 * Injected time (DESIGN.md "Time"): everything that computes expiry, rotation, grace periods or
 * back-off takes a {@link Clock}, so tests can drive time with a {@link FakeClock} instead of waiting.
 */

/** The two things code needs from time: reading it and waiting for it. */
export interface Clock {
  /** Current time in milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds (at once for `ms <= 0`). When `signal` aborts first, rejects
   * with `signal.reason` and releases the timer.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock: `Date.now()` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  },
};

interface Sleeper {
  readonly due: number;
  readonly order: number;
  readonly resolve: () => void;
}

/**
 * A clock for unit tests: time stands still until {@link FakeClock.advance} moves it. Sleeps
 * resolve when the clock passes their due time, in due-time order (ties in call order).
 */
export class FakeClock implements Clock {
  #now: number;
  #sleepers: Sleeper[] = [];
  #order = 0;

  /** @param startMs the initial time, milliseconds since the epoch (default 0). */
  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const sleeper: Sleeper = {
        due: this.#now + ms,
        order: this.#order++,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#sleepers.push(sleeper);
    });
  }

  /** Number of sleeps still waiting (lets a test check that code is parked on the clock). */
  get pendingSleeps(): number {
    return this.#sleepers.length;
  }

  /**
   * Moves time forward by `ms` milliseconds. Each sleep that falls due is resolved with the clock
   * set to its due time, and the code waiting on it gets to run (a macrotask turn) before the
   * next one, so a loop that sleeps again inside the window is handled as real time would.
   */
  async advance(ms: number): Promise<void> {
    if (ms < 0) throw new RangeError(`cannot move a clock backwards: ${ms}`);
    const target = this.#now + ms;
    for (;;) {
      const next = this.#nextDue(target);
      if (next === undefined) break;
      this.#sleepers = this.#sleepers.filter((s) => s !== next);
      this.#now = next.due;
      next.resolve();
      await flush();
    }
    this.#now = target;
    await flush();
  }

  /** Sets the time (may move backwards, as a wall clock can); resolves sleeps that fall due. */
  async set(ms: number): Promise<void> {
    if (ms >= this.#now) return this.advance(ms - this.#now);
    this.#now = ms;
  }

  #nextDue(target: number): Sleeper | undefined {
    let next: Sleeper | undefined;
    for (const s of this.#sleepers) {
      if (s.due > target) continue;
      if (next === undefined || s.due < next.due || (s.due === next.due && s.order < next.order)) next = s;
    }
    return next;
  }
}

/** Lets promise callbacks and then one macrotask turn run. */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
