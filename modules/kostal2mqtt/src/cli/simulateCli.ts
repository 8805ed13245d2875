import { UsageError, type CommandIo } from "./io.js";

/** `simulate ...`: runs the PIKO simulator until the process is asked to stop. */
export async function simulateCli(argv: string[], io: CommandIo): Promise<number> {
  const { simulateCommand } = await import("../../../piko-simulator/src/simulateCommand.js");
  let simulator: { url: string; stop(): Promise<void> };
  try {
    simulator = await simulateCommand(argv, io.stderr);
  } catch (error) {
    if (error instanceof Error && !(error instanceof UsageError) && !("code" in error)) {
      throw new UsageError(error.message);
    }
    throw error;
  }
  await io.untilStopped();
  await simulator.stop();
  return 0;
}
