/**
 * The unmodified Azure IoT device SDK, as a module would use it, for tests against the edgeHub emulator.
 * azure-iot-device is CommonJS whose named exports Node cannot detect (only `Client` is), hence the default
 * import and destructuring.
 */
import azureIotDevice from "azure-iot-device";
import type { ModuleClient as ModuleClientType, Twin } from "azure-iot-device";
import { Mqtt } from "azure-iot-device-mqtt";

export const { ModuleClient, Message } = azureIotDevice;
export type ModuleClient = ModuleClientType;
export { Mqtt };

/** What the SDK client reported through its events, for assertions and for diagnosing a failure. */
export interface ClientObservations {
  errors: Error[];
  disconnects: number;
}

/** Adds the listeners every SDK client needs: without an 'error' listener the SDK can crash the process. */
export function observe(client: ModuleClient): ClientObservations {
  const observations: ClientObservations = { errors: [], disconnects: 0 };
  client.on("error", (error: Error) => observations.errors.push(error));
  client.on("disconnect", () => observations.disconnects++);
  return observations;
}

/**
 * `twin.properties.reported.update` takes a callback only: awaiting it (its type is `any`) returns at once,
 * before IoT Hub has acknowledged anything. This wraps it in a promise.
 */
export function updateReported(twin: Twin, patch: Record<string, unknown>): Promise<void> {
  const reported = twin.properties.reported as {
    update(patch: unknown, done: (error?: Error) => void): void;
  };
  return new Promise((resolve, reject) => {
    reported.update(patch, (error) => (error === undefined || error === null ? resolve() : reject(error)));
  });
}

/**
 * `ModuleClient.fromEnvironment(Mqtt)` with `variables` set in process.env only for the call (the SDK reads
 * them while building the client; later connections use what it captured).
 */
export async function moduleClientFromEnvironment(variables: Record<string, string>): Promise<ModuleClient> {
  const saved = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(variables)) {
    saved.set(name, process.env[name]);
    process.env[name] = value;
  }
  try {
    return await ModuleClient.fromEnvironment(Mqtt);
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/**
 * Closes a client without letting a wedged SDK (issue 1110: close() can hang after a disconnect) hang the
 * test run: gives up after `timeoutMs` and reports that through the returned flag.
 */
export async function closeClient(client: ModuleClient | undefined, timeoutMs = 3000): Promise<boolean> {
  if (client === undefined) return true;
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([client.close().then(() => true as const), gaveUp]);
  } catch {
    return false; // closing a client whose transport is already gone may reject; nothing else to do
  } finally {
    clearTimeout(timer);
  }
}
