import type { Loaded, StateFile } from "../lib/stateFile.js";
import { realTimers, type Timers } from "../lib/timers.js";

/**
 * A bounded FIFO of messages waiting for delivery, oldest first. Full or too old: the oldest are dropped and
 * counted, never the newest (a consumer wants the latest state most). Items taken for delivery are either
 * acknowledged (`ack`) or put back in front (`requeue`) so a failed send keeps its place.
 */
export interface QueueLimits {
  maxItems: number;
  maxAgeMs: number;
}

export interface Entry<T> {
  item: T;
  enqueuedAt: number;
}

/**
 * Where a queue keeps its messages across a restart (see StateFile): a change is written within `everyMs`, at most
 * once in that time. A timer runs only while there is a change to write: a queue that is empty again, as the file
 * already says, wakes nobody (a process polling every 2 s otherwise woke once more per poll for nothing).
 */
export interface QueuePersistence<T> {
  file: StateFile<Array<Entry<T>>>;
  everyMs: number;
  /** For the save timer; tests pass fakes. */
  timers?: Timers;
  /**
   * Whether a stored item is one the queue's owner can deliver (e.g. an MQTT message with a publishable topic).
   * Without it an item need only be there (not null): a file from another version or a hand edit must not crash
   * the start, nor block every message behind one that can never go out.
   */
  validate?: (item: unknown) => item is T;
}

export class DeliveryQueue<T> {
  private entries: Array<Entry<T>> = [];
  private head = 0;
  /** Taken for delivery and not yet acknowledged: persisted too, so a crash mid-send loses nothing. */
  private readonly inFlight = new Set<Entry<T>>();
  private dirty = false;
  private savedEmpty = false;
  /** The save timer, while a change waits to be written. */
  private timer: unknown = undefined;
  dropped = 0;

  constructor(
    private readonly limits: QueueLimits,
    private readonly now: () => number = Date.now,
    private readonly persistence?: QueuePersistence<T>,
  ) {
    const stored = persistence?.file.load((raw) => validEntries(raw, persistence.validate));
    if (stored) {
      this.entries.push(...stored);
      while (this.size > this.limits.maxItems) this.dropOldest();
    }
  }

  get size(): number {
    return this.entries.length - this.head;
  }

  push(item: T): void {
    this.entries.push({ item, enqueuedAt: this.now() });
    while (this.size > this.limits.maxItems) this.dropOldest();
    this.changed();
  }

  /** Takes up to `count` items, oldest first, after dropping the ones that are too old. */
  take(count: number): Array<Entry<T>> {
    this.expire();
    const taken = this.entries.slice(this.head, this.head + count);
    this.head += taken.length;
    for (const entry of taken) this.inFlight.add(entry);
    this.compact();
    return taken;
  }

  /** Puts items that failed to go out back in front, in their order, keeping their age. */
  requeue(entries: Array<Entry<T>>): void {
    for (const entry of entries) this.inFlight.delete(entry);
    if (entries.length === 0) return;
    this.entries = [...entries, ...this.entries.slice(this.head)];
    this.head = 0;
    while (this.size > this.limits.maxItems) this.dropOldest();
  }

  /** Items that went out: they are no longer kept for a restart. */
  ack(entries: Array<Entry<T>>): void {
    for (const entry of entries) this.inFlight.delete(entry);
    if (entries.length === 0) return;
    if (this.savedEmpty && this.size === 0 && this.inFlight.size === 0) {
      // Delivered, and empty as the file says: nothing to write (the usual poll, acknowledged at once).
      this.dirty = false;
      this.cancelSave();
      return;
    }
    this.changed();
  }

  /** Every item not yet delivered (in flight first, then waiting), oldest first. */
  snapshot(): Array<Entry<T>> {
    return [...this.inFlight, ...this.entries.slice(this.head)];
  }

  /** Writes the queue to its file if it changed (atomic); called by the timer and on stop. */
  save(): void {
    this.cancelSave();
    if (!this.persistence || !this.dirty) return;
    this.dirty = false;
    const snapshot = this.snapshot();
    // Connected and keeping up, the queue is empty at every save: one empty file is enough.
    if (snapshot.length === 0 && this.savedEmpty) return;
    this.savedEmpty = snapshot.length === 0;
    this.persistence.file.write(snapshot);
  }

  /** The last save; what it cannot write is lost with the process, and said so in one line. */
  close(): void {
    this.cancelSave();
    if (!this.persistence) return;
    const snapshot = this.snapshot();
    const failure = this.persistence.file.write(snapshot);
    if (failure !== null && snapshot.length > 0) {
      this.persistence.file.report(
        `${snapshot.length} undelivered message(s) lost at stop: cannot write ${this.persistence.file.path} (${failure})`,
      );
    }
  }

  private expire(): void {
    const oldest = this.now() - this.limits.maxAgeMs;
    while (this.size > 0 && this.entries[this.head]!.enqueuedAt < oldest) this.dropOldest();
  }

  private dropOldest(): void {
    this.head++;
    this.dropped++;
    this.changed();
    this.compact();
  }

  /** The queue differs from its file: written within `everyMs`, by the one save timer. */
  private changed(): void {
    this.dirty = true;
    const persistence = this.persistence;
    if (persistence === undefined || this.timer !== undefined) return;
    const timers = persistence.timers ?? realTimers;
    this.timer = timers.setTimeout(() => {
      this.timer = undefined;
      this.save();
    }, persistence.everyMs);
    (this.timer as { unref?: () => void } | null)?.unref?.();
  }

  private cancelSave(): void {
    if (this.timer === undefined) return;
    (this.persistence?.timers ?? realTimers).clearTimeout(this.timer);
    this.timer = undefined;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}

/** The entries of a stored queue that can be delivered; the rest are counted as a problem (see StateFile.load). */
function validEntries<T>(raw: unknown, validate?: (item: unknown) => item is T): Loaded<Array<Entry<T>>> {
  if (!Array.isArray(raw)) return { value: null, problems: ["not a list of queued messages"] };
  const value: Array<Entry<T>> = [];
  const bad: number[] = [];
  raw.forEach((entry: unknown, index) => {
    const fields = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
    const { item, enqueuedAt } = fields;
    const usable =
      typeof enqueuedAt === "number" &&
      Number.isFinite(enqueuedAt) &&
      item !== undefined &&
      item !== null &&
      (validate === undefined || validate(item));
    if (usable) value.push({ item: item as T, enqueuedAt });
    else bad.push(index);
  });
  const problems =
    bad.length === 0
      ? []
      : [
          `${bad.length} of ${raw.length} entries are not messages that can be delivered (first: entry ${bad[0]})`,
        ];
  return { value, problems };
}
