/**
 * The environment of a child process that a test (or a benchmark) starts: PATH, then what decides the child's
 * clock, so that it tells the same time as the process that started it, then `env`. Nothing else leaks in from
 * the shell. The clock part is TZ and, under libfaketime (CI's run of the suite at night), its preload and its
 * FAKETIME* settings: a child left on the real clock would, for example, find the certificates the test made
 * "not yet valid". NODE_V8_COVERAGE too, when it is set (`npm run test:coverage`): the real process a test starts
 * counts towards the coverage of the code it runs.
 */
export function childEnv(env: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const inherited = Object.entries(process.env).filter(
    ([name]) =>
      name === "TZ" || name === "LD_PRELOAD" || name.startsWith("FAKETIME") || name === "NODE_V8_COVERAGE",
  );
  return { PATH: process.env.PATH, ...Object.fromEntries(inherited), ...env };
}
