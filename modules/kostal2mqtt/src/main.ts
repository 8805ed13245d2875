import { constants } from "node:os";
import { runCli } from "./cli/runCli.js";
import type { CommandIo } from "./cli/io.js";

/**
 * The composition root of the command line: the only place that reads process.env and argv, handles signals and
 * sets the exit code. Everything below takes what it needs as arguments.
 */

/** How long the process may live on after the command returned before it is ended anyway (see below). */
const FALLBACK_EXIT_MS = 2000;

/**
 * Resolves on the first SIGINT/SIGTERM. The handlers stay for the whole stop: a second signal (an impatient
 * Ctrl-C, a supervisor repeating SIGTERM) must not kill the process in the middle of flushing its queue and saying
 * `offline` (issue 9), so it is only acknowledged; a third is taken as "now" and ends the process at once with the
 * signal's conventional code (130 SIGINT, 143 SIGTERM), saying what is given up.
 */
function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    let received = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      received++;
      if (received === 1) {
        resolve();
      } else if (received === 2) {
        process.stderr.write(
          `kostal2mqtt: ${signal}: stop already under way (flushing outputs); a third signal forces the exit\n`,
        );
      } else {
        const code = 128 + (constants.signals[signal] ?? 15);
        process.stderr.write(
          `kostal2mqtt: ${signal} again: forcing the exit (code ${code}), the stop unfinished\n`,
        );
        process.exit(code);
      }
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

/** "Timeout x2, TCPSocketWrap": what keeps the event loop alive, so a regression names its culprit. */
function openHandles(): string {
  const counts = new Map<string, number>();
  for (const name of process.getActiveResourcesInfo()) counts.set(name, (counts.get(name) ?? 0) + 1);
  const parts = [...counts].map(([name, count]) => (count > 1 ? `${name} x${count}` : name));
  return parts.length === 0 ? "none listed" : parts.join(", ");
}

const libraryFaultHandlers: Array<(error: unknown) => boolean> = [];

process.on("uncaughtException", (error) => {
  if (libraryFaultHandlers.some((handler) => handler(error))) return;
  process.stderr.write(`kostal2mqtt: internal error: ${error.stack ?? error.message}\n`);
  process.exit(70);
});

const io: CommandIo = {
  env: process.env,
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  now: Date.now,
  untilStopped,
  onLibraryFault: (handler) => libraryFaultHandlers.push(handler),
};

try {
  const code = await runCli(process.argv.slice(2), io);
  process.exitCode = code;
  // Everything was flushed and closed, so the process ends by itself at once. If a library timer or socket was
  // left behind, it must not keep the process alive: end it anyway, naming what was still open.
  setTimeout(() => {
    process.stderr.write(
      `kostal2mqtt: still running ${FALLBACK_EXIT_MS / 1000} s after the stop; handles still open: ` +
        `${openHandles()}; exiting\n`,
    );
    process.exit(code);
  }, FALLBACK_EXIT_MS).unref();
} catch (error) {
  // A bug, not an input problem: say so briefly; the stack helps the report.
  process.stderr.write(
    `kostal2mqtt: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 70;
}
