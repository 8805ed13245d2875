/** A typed timeout, so callers can tell "took too long" from the operation's own failure. */
export class OperationTimeout extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not complete within ${ms / 1000} s`);
    this.name = "OperationTimeout";
  }
}

/** Races a promise against a deadline; the timer never keeps the process alive. A late rejection is ignored. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OperationTimeout(what, ms)), ms);
    timer.unref();
  });
  promise.catch(() => undefined);
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Exponential backoff with jitter and a cap: attempt 0 waits `baseMs`. */
export function backoffMs(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  return Math.round(Math.min(baseMs * 2 ** attempt, capMs) * (0.8 + 0.4 * random()));
}
