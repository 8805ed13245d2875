/**
 * Waits for a condition instead of sleeping: resolves with the first value `check` returns other than undefined,
 * looking every `everyMs`; rejects naming `what` after `timeoutMs`.
 */
export async function until<T>(
  check: () => T | undefined,
  timeoutMs: number,
  what: string,
  everyMs = 50,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
