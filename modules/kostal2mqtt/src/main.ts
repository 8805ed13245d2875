import { runCli } from "./cli/runCli.js";
import type { CommandIo } from "./cli/io.js";

/**
 * The composition root of the command line: the only place that reads process.env and argv, handles signals and
 * sets the exit code. Everything below takes what it needs as arguments.
 */
function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
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
  // Everything was flushed and closed; a library timer or socket left behind must not keep the process alive.
  setTimeout(() => process.exit(code), 2000).unref();
} catch (error) {
  // A bug, not an input problem: say so briefly; the stack helps the report.
  process.stderr.write(
    `kostal2mqtt: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 70;
}
