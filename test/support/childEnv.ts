/**
 * The environment of a child process that a test (or a benchmark) starts: PATH, then what decides the child's
 * clock, so that it tells the same time as the process that started it, then `env`. Nothing else leaks in from
 * the shell. The clock part is TZ and, under libfaketime (CI's run of the suite at night), its preload and its
 * FAKETIME* settings: a child left on the real clock would, for example, find the certificates the test made
 * "not yet valid".
 */
export function childEnv(env: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const clock = Object.entries(process.env).filter(
    ([name]) => name === "TZ" || name === "LD_PRELOAD" || name.startsWith("FAKETIME"),
  );
  return { PATH: process.env.PATH, ...Object.fromEntries(clock), ...env };
}
