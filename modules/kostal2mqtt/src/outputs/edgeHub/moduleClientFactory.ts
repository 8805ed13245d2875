import { readFile } from "node:fs/promises";
import { request } from "node:http";
import { isEdgeModule } from "../../config/edgeSchema.js";
import type { AppConfig } from "../../config/schema.js";

/**
 * What the edgeHub session (edgeHubSession.ts, which builds the ModuleClient) needs from IoT Edge's environment:
 * whether this is a module at all, the CA it must trust, and the Plug and Play model id it announces. The CA is
 * fetched here because `setOptions()` after `fromEnvironment` replaces the MQTT options and drops the trust bundle
 * (iot-edge.md, pitfall 4): the session passes it again in the same call, before `open()`.
 */

export { DTDL_MODEL_ID as MODEL_ID } from "../../reading/dtdlModel.js";

/**
 * True when the process runs as an IoT Edge module (or is pointed at an edgeHub by connection string), decided
 * from the loaded configuration (config/edgeSchema.ts), where an empty variable already counts as not set.
 * Given an environment instead (the form callers used before the IoT Edge variables were in the schema), it is
 * loaded through the schema first; callers should pass the configuration they loaded.
 */
export function isEdgeEnvironment(config: AppConfig): boolean {
  return isEdgeModule(config.edge);
}

/** The trust bundle of the IoT Edge workload API (`unix:///var/run/iotedge/workload.sock`). */
function fetchTrustBundle(workloadUri: string, timeoutMs: number): Promise<string> {
  const url = new URL(workloadUri);
  const target =
    url.protocol === "unix:"
      ? { socketPath: url.pathname, path: "/trust-bundle?api-version=2018-06-28" }
      : { host: url.hostname, port: url.port, path: "/trust-bundle?api-version=2018-06-28" };
  return new Promise((resolve, reject) => {
    const req = request({ ...target, method: "GET", timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { certificate?: unknown };
          if (typeof body.certificate !== "string") throw new Error("no certificate in the trust bundle");
          resolve(body.certificate);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("the workload API did not answer")));
    req.on("error", reject);
    req.end();
  });
}

/** The CA the client must trust: the connection-string path's file, or edgelet's trust bundle. */
export async function edgeHubCa(env: NodeJS.ProcessEnv, timeoutMs = 10_000): Promise<string | undefined> {
  if ((env.EdgeModuleCACertificateFile ?? "") !== "")
    return readFile(env.EdgeModuleCACertificateFile as string, "utf8");
  if (env.IOTEDGE_WORKLOADURI !== undefined) return fetchTrustBundle(env.IOTEDGE_WORKLOADURI, timeoutMs);
  return undefined;
}
