/**
 * Waiting for a state (n messages recorded, a module connected, a topic subscribed, a handler called in the
 * module under test) without sleeping: each waiter's condition is re-checked after every change of the
 * emulator's state, and also every POLL_MS for conditions on state the emulator cannot see, until a deadline.
 */

const POLL_MS = 20;

export class EmulatorTimeoutError extends Error {
  override readonly name = "EmulatorTimeoutError";
}

export class EmulatorStoppedError extends Error {
  override readonly name = "EmulatorStoppedError";
}

interface Waiter {
  evaluate(): void;
  abort(error: Error): void;
}

export class ConditionWaiters {
  private readonly waiters = new Set<Waiter>();

  /**
   * Resolves with the first defined value `check` returns, checked now, after every `notify()` and every POLL_MS.
   * Rejects with EmulatorTimeoutError after `timeoutMs`, or with whatever `check` throws.
   */
  waitUntil<T>(check: () => T | undefined, timeoutMs: number, description: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const finish = (): void => {
        this.waiters.delete(waiter);
        clearTimeout(timer);
        clearInterval(poll);
      };
      const waiter: Waiter = {
        evaluate: () => {
          let value: T | undefined;
          try {
            value = check();
          } catch (error) {
            waiter.abort(error instanceof Error ? error : new Error(String(error)));
            return;
          }
          if (value === undefined) return;
          finish();
          resolve(value);
        },
        abort: (error) => {
          finish();
          reject(error);
        },
      };
      const timer = setTimeout(
        () =>
          waiter.abort(
            new EmulatorTimeoutError(`timed out after ${timeoutMs} ms waiting for ${description}`),
          ),
        timeoutMs,
      );
      const poll = setInterval(() => waiter.evaluate(), POLL_MS);
      this.waiters.add(waiter);
      waiter.evaluate();
    });
  }

  /** Re-checks every pending condition. Call after each change of the emulator's state. */
  notify(): void {
    for (const waiter of [...this.waiters]) waiter.evaluate();
  }

  /** Rejects every pending waiter (the emulator is stopping for good). */
  abortAll(error: Error): void {
    for (const waiter of [...this.waiters]) waiter.abort(error);
  }
}
