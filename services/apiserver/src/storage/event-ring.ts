/**
 * The watch history: the most recent committed changes, one per revision, in a growable circular
 * buffer. Revisions are contiguous (every revision is exactly one change), so the event of a
 * revision is found by subtraction, not by search.
 */
import type { StorageEvent } from "./storage.js";

/** A deque of events with contiguous revisions `(base, base + length]`. */
export class EventRing {
  private buf: (StorageEvent | undefined)[];
  private head = 0;
  private size = 0;
  /** The revision just before the first event kept (the oldest revision a watch may start after). */
  private baseRevision: number;

  /** @param base the revision before the first event that will be pushed. */
  constructor(base = 0, initialCapacity = 1024) {
    this.baseRevision = base;
    this.buf = new Array<StorageEvent | undefined>(Math.max(16, initialCapacity));
  }

  /** The revision before the oldest event kept; equals {@link last} when empty. */
  get base(): number {
    return this.baseRevision;
  }

  /** The revision of the newest event kept (or {@link base} when empty). */
  get last(): number {
    return this.baseRevision + this.size;
  }

  /** How many events are kept. */
  get length(): number {
    return this.size;
  }

  /** Empties the ring and restarts it after `base`. */
  reset(base: number): void {
    this.buf.fill(undefined);
    this.head = 0;
    this.size = 0;
    this.baseRevision = base;
  }

  /** Appends the event of revision {@link last} + 1. */
  push(event: StorageEvent): void {
    if (event.revision !== this.last + 1) {
      throw new RangeError(`event revision ${event.revision} does not follow ${this.last}`);
    }
    if (this.size === this.buf.length) this.grow();
    this.buf[(this.head + this.size) % this.buf.length] = event;
    this.size++;
  }

  /** The event of `revision`, or undefined when it is not kept. */
  at(revision: number): StorageEvent | undefined {
    const i = revision - this.baseRevision - 1;
    if (i < 0 || i >= this.size) return undefined;
    return this.buf[(this.head + i) % this.buf.length];
  }

  /** The oldest event kept, or undefined. */
  first(): StorageEvent | undefined {
    return this.size === 0 ? undefined : this.buf[this.head];
  }

  /** Drops the oldest event. */
  shift(): void {
    if (this.size === 0) return;
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) % this.buf.length;
    this.size--;
    this.baseRevision++;
  }

  /** The events after `revision` (exclusive), oldest first. */
  *since(revision: number): IterableIterator<StorageEvent> {
    for (let r = Math.max(revision, this.baseRevision) + 1; r <= this.last; r++) {
      const e = this.at(r);
      if (e !== undefined) yield e;
    }
  }

  private grow(): void {
    const next = new Array<StorageEvent | undefined>(this.buf.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = this.buf[(this.head + i) % this.buf.length];
    this.buf = next;
    this.head = 0;
  }
}
