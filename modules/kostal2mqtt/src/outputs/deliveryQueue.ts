/**
 * A bounded FIFO of messages waiting for delivery, oldest first. Full or too old: the oldest are dropped and
 * counted, never the newest (a consumer wants the latest state most). Items taken for delivery are either
 * acknowledged (`ack`) or put back in front (`requeue`) so a failed send keeps its place.
 */
export interface QueueLimits {
  maxItems: number;
  maxAgeMs: number;
}

interface Entry<T> {
  item: T;
  enqueuedAt: number;
}

export class DeliveryQueue<T> {
  private entries: Array<Entry<T>> = [];
  private head = 0;
  dropped = 0;

  constructor(
    private readonly limits: QueueLimits,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.length - this.head;
  }

  push(item: T): void {
    this.entries.push({ item, enqueuedAt: this.now() });
    while (this.size > this.limits.maxItems) this.dropOldest();
  }

  /** Takes up to `count` items, oldest first, after dropping the ones that are too old. */
  take(count: number): Array<Entry<T>> {
    this.expire();
    const taken = this.entries.slice(this.head, this.head + count);
    this.head += taken.length;
    this.compact();
    return taken;
  }

  /** Puts items that failed to go out back in front, in their order, keeping their age. */
  requeue(entries: Array<Entry<T>>): void {
    if (entries.length === 0) return;
    this.entries = [...entries, ...this.entries.slice(this.head)];
    this.head = 0;
    while (this.size > this.limits.maxItems) this.dropOldest();
  }

  /** Every waiting item, oldest first (for persisting the queue). */
  snapshot(): T[] {
    return this.entries.slice(this.head).map((entry) => entry.item);
  }

  private expire(): void {
    const oldest = this.now() - this.limits.maxAgeMs;
    while (this.size > 0 && this.entries[this.head]!.enqueuedAt < oldest) this.dropOldest();
  }

  private dropOldest(): void {
    this.head++;
    this.dropped++;
    this.compact();
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
