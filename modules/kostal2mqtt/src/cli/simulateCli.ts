import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { UsageError, type CommandIo } from "./io.js";

/** The part of modules/piko-simulator that `simulate` uses; declared here so the product never imports its types. */
interface SimulatorModule {
  simulateCommand: (
    argv: string[],
    log: (line: string) => void,
  ) => Promise<{ url: string; stop(): Promise<void> }>;
}

/**
 * The simulator sits beside the product in a checkout but is not part of the image. The specifier is computed so
 * that TypeScript does not follow it: the product build (tsconfig.image.json) must not pull the simulator in.
 */
const SIMULATOR = new URL("../../../piko-simulator/src/simulateCommand.js", import.meta.url);

async function loadSimulator(): Promise<SimulatorModule> {
  // Checked up front rather than by the import's error: a simulator that is present but broken must say so.
  if (!existsSync(fileURLToPath(SIMULATOR))) {
    throw new UsageError("the simulator is not part of this installation; use a checkout");
  }
  return (await import(SIMULATOR.href)) as SimulatorModule;
}

/** `simulate ...`: runs the PIKO simulator until the process is asked to stop. */
export async function simulateCli(argv: string[], io: CommandIo): Promise<number> {
  const { simulateCommand } = await loadSimulator();
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
