import { get } from "node:http";
import { parseArgs } from "node:util";
import { loadConfig } from "../config/loadConfig.js";
import type { CommandIo } from "./io.js";

const TIMEOUT_MS = 3000;

/**
 * `healthcheck [--ready]`: asks the running bridge's health server (HEALTH_PORT) for /healthz, or /readyz with
 * `--ready`; exit 0 when it answers 200, 1 otherwise, with one line saying why. The container image's HEALTHCHECK
 * runs it with node itself, so the image needs no curl.
 */
export async function healthcheckCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ready: { type: "boolean" } } });
  const { health } = loadConfig(io.env);
  if (health.port === 0) {
    io.stderr("kostal2mqtt healthcheck: the health server is off (HEALTH_PORT=0)");
    return 1;
  }
  // A server listening on every interface is reached on loopback; one bound to an address, on that address.
  const host = health.bind === "0.0.0.0" ? "127.0.0.1" : health.bind === "::" ? "::1" : health.bind;
  const path = values.ready ? "/readyz" : "/healthz";
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${health.port}${path}`;
  try {
    const { status, body } = await fetchText(url);
    if (status === 200) {
      io.stdout(body);
      return 0;
    }
    io.stderr(`kostal2mqtt healthcheck: ${url} answered ${status}: ${body}`);
    return 1;
  } catch (error) {
    io.stderr(`kostal2mqtt healthcheck: ${url}: ${(error as Error).message}`);
    return 1;
  }
}

function fetchText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get(url, { timeout: TIMEOUT_MS }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    request.on("error", reject);
  });
}
