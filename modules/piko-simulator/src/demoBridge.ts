import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The product bridge as users run it: `node main.js run` in a child process, configured by environment variables
 * only, with its own data folder. Its log lines (stderr) are handed to `log`.
 */

const MAIN_JS = fileURLToPath(new URL("../../kostal2mqtt/src/main.js", import.meta.url));

/**
 * Of the demo's own environment only PATH, what decides the child's clock (TZ, and libfaketime's preload and
 * settings) and NODE_V8_COVERAGE (so that the bridge run by the demo's test counts towards the coverage) go through:
 * a KOSTAL_*, MQTT_* or IoT Edge variable in the user's shell must not change the demo.
 */
const INHERITED = /^(PATH|TZ|LD_PRELOAD|FAKETIME.*|NODE_V8_COVERAGE)$/;

function inheritedEnv(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => INHERITED.test(name)));
}

/** A free TCP port on 127.0.0.1 for the bridge's status page (HEALTH_PORT=0 would turn it off). */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface DemoBridgeOptions {
  inverterUrl: string;
  brokerPort: number;
  baseTopic: string;
  healthPort: number;
  pollIntervalSeconds: number;
  log: (line: string) => void;
}

export class DemoBridge {
  readonly exited: Promise<string>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly dataDir: string,
    private readonly healthPort: number,
  ) {
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => resolve(signal ?? `exit code ${code}`));
      child.once("error", (error) => resolve(`could not start: ${error.message}`));
    });
  }

  /** Starts `kostal2mqtt run` with its own data folder; its log lines go to `options.log`. */
  static start(options: DemoBridgeOptions): DemoBridge {
    const dataDir = mkdtempSync(join(tmpdir(), "kostal2mqtt-demo-"));
    const child = spawn(process.execPath, [MAIN_JS, "run"], {
      env: {
        ...inheritedEnv(),
        KOSTAL_HOST: options.inverterUrl,
        KOSTAL_ID: "demo",
        SCRAPE_INTERVAL: String(options.pollIntervalSeconds),
        MQTT_HOST: "127.0.0.1",
        MQTT_PORT: String(options.brokerPort),
        MQTT_TOPIC: options.baseTopic,
        MQTT_CLIENT_ID: "kostal2mqtt-demo",
        HEALTH_PORT: String(options.healthPort),
        HEALTH_BIND: "127.0.0.1",
        KOSTAL_DATA_DIR: dataDir,
      },
      stdio: ["ignore", "inherit", "pipe"],
    });
    forwardLines(child, options.log);
    return new DemoBridge(child, dataDir, options.healthPort);
  }

  /**
   * The status page's URL once the bridge's health server answers `/healthz` (the image's own check), or null
   * when it does not within `timeoutMs` or the bridge ended.
   */
  async statusPage(timeoutMs: number): Promise<string | null> {
    const url = `http://127.0.0.1:${this.healthPort}/`;
    const deadline = performance.now() + timeoutMs;
    let ended = false;
    void this.exited.then(() => (ended = true));
    while (!ended && performance.now() < deadline) {
      try {
        const response = await fetch(new URL("healthz", url), { signal: AbortSignal.timeout(1000) });
        if (response.ok) return url;
      } catch {
        // not listening yet: asked again below
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return null;
  }

  /**
   * Stops the bridge (it flushes and says `offline`) and resolves with how it ended. `graceMs`: a Ctrl-C in the
   * terminal reached the bridge too, so it is given that long to stop by itself before the SIGTERM, which would
   * otherwise be a second signal in the middle of its stop. SIGKILL `timeoutMs` after the SIGTERM.
   */
  async stop(graceMs = 0, timeoutMs = 10_000): Promise<string> {
    const running = () => this.child.exitCode === null && this.child.signalCode === null;
    let killTimer: NodeJS.Timeout | undefined;
    const termTimer = setTimeout(() => {
      if (running()) this.child.kill("SIGTERM");
      killTimer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    }, graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(termTimer);
      clearTimeout(killTimer);
      rmSync(this.dataDir, { recursive: true, force: true });
    }
  }
}

/** Hands each line the bridge writes on stderr (its log) to `log`. */
function forwardLines(child: ChildProcess, log: (line: string) => void): void {
  const stream = child.stderr!;
  stream.setEncoding("utf8");
  let rest = "";
  stream.on("data", (chunk: string) => {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) log(line);
  });
}
