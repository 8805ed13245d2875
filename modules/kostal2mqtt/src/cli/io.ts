/** What a command may touch of the outside world; main.ts supplies the real process, tests supply their own. */
export interface CommandIo {
  env: NodeJS.ProcessEnv;
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  now: () => number;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM): handled from the first call on. */
  untilStopped: () => Promise<void>;
  /**
   * Registers a handler for exceptions a library throws where no caller can catch them (the Azure SDK does, on a
   * twin response without a body). It returns true when it recognised and handled the error.
   */
  onLibraryFault: (handler: (error: unknown) => boolean) => void;
}

/** Wrong command-line use: the message is shown with the usage, exit code 2. */
export class UsageError extends Error {}
