import type { Logger } from "../../log/logger.js";
import { backoffMs, withTimeout } from "../../lib/timeouts.js";
import { OutputUnavailable } from "../outputErrors.js";
import { Message, ModuleClient, type Twin } from "./azureSdk.js";
import { connectFailure, translateSendError } from "./edgeHubErrors.js";
import { EdgeHubTransport } from "./edgeHubTransport.js";
import { edgeHubCa, MODEL_ID } from "./moduleClientFactory.js";

/** A stack frame inside the Azure IoT SDK's packages. */
const SDK_FRAME = /node_modules[\\/]azure-iot-(device|device-mqtt|mqtt-base|common)[\\/]/;

export type MethodHandler = (payload: unknown) => Promise<{ status: number; payload: unknown }>;

export interface EdgeHubSessionOptions {
  env: NodeJS.ProcessEnv;
  log: Logger;
  methods: Record<string, MethodHandler>;
  /** The whole desired document (after every (re)connect) or a patch. */
  onDesired(desired: unknown, whole: boolean): void;
  /** The twin's reported properties as fetched (before the desired ones are applied): what earlier runs left. */
  onReported?(reported: unknown): void;
  onConnected(): void;
  onDisconnected(reason: string): void;
  /** Where to register for exceptions the SDK throws outside any call (see `CommandIo.onLibraryFault`). */
  onLibraryFault?: (handler: (error: unknown) => boolean) => void;
  /** Twin calls are time-limited: after edgeHub lost the session `getTwin()` never resolves (iot-edge.md, 2). */
  twinTimeoutMs?: number;
  openTimeoutMs?: number;
  sendTimeoutMs?: number;
  retryBaseMs?: number;
  retryCapMs?: number;
}

/**
 * One live connection to edgeHub through the unmodified SDK, kept alive against every pitfall of iot-edge.md:
 * the first `open()` is retried with backoff while edgeHub is not up (1); the twin is fetched, time-limited, after
 * every (re)connect and applied by `$version` (2); `disconnect` or a twin that cannot be had means a new client (5);
 * an `error` listener is always attached, and a client is never awaited closing inside its own handlers (6).
 */
export class EdgeHubSession {
  private client: ModuleClient | null = null;
  private twin: Twin | null = null;
  private connected = false;
  private stopped = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private generation = 0;

  constructor(private readonly options: EdgeHubSessionOptions) {
    options.onLibraryFault?.((error) => this.onSdkFault(error));
  }

  /**
   * A twin response with an error status and no body makes the SDK throw a TypeError inside its MQTT message
   * handler, where nothing can catch it (iot-edge.md, pitfall 3): the client is replaced, the process goes on.
   */
  private onSdkFault(error: unknown): boolean {
    if (!(error instanceof Error) || !SDK_FRAME.test(error.stack ?? "")) return false;
    this.options.log.warn(
      "the Azure IoT SDK failed inside its own handler; replacing the edgeHub client",
      error,
    );
    if (!this.stopped) this.rebuild(this.generation, "Azure IoT SDK fault");
    return true;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.drop();
    if (client) await closeQuietly(client, 3000);
  }

  /** Sends one message; throws PublishRejected (final for it) or OutputUnavailable (see translateSendError). */
  async sendOutputEvent(output: string, message: InstanceType<typeof Message>): Promise<void> {
    const client = this.client;
    if (!client || !this.connected) throw new OutputUnavailable("not connected to edgeHub", false);
    try {
      await withTimeout(
        client.sendOutputEvent(output, message),
        this.options.sendTimeoutMs ?? 30_000,
        "sending to edgeHub",
      );
    } catch (error) {
      throw translateSendError(error, output);
    }
  }

  async updateReported(patch: Record<string, unknown>): Promise<void> {
    const twin = this.twin;
    if (!twin || !this.connected) throw new Error("not connected to edgeHub");
    const reported = twin.properties.reported as {
      update(patch: unknown, done: (error?: Error) => void): void;
    };
    const update = new Promise<void>((resolve, reject) => {
      reported.update(patch, (error) => (error ? reject(error) : resolve()));
    });
    await withTimeout(update, this.options.twinTimeoutMs ?? 10_000, "updating reported properties");
  }

  /**
   * A send failed or timed out while the client still believed itself connected (the SDK keeps retrying silently
   * for about 240 s and may deliver its own queue later, out of order): the client is replaced, so the output's
   * queue stays the one place messages wait, and they go out oldest first on the next connection.
   */
  reportSendFailure(reason: string): void {
    if (this.connected) this.rebuild(this.generation, `sending failed: ${reason}`);
  }

  /** Fetches the whole twin again (e.g. after a patch skipped a version); a failure means a new client. */
  refetchTwin(): void {
    void this.fetchTwin(this.generation);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const generation = ++this.generation;
    const { log } = this.options;
    let client: ModuleClient | undefined;
    try {
      client = await ModuleClient.fromEnvironment(EdgeHubTransport);
      // While connecting, the SDK's errors repeat the failure the attempt reports once, below.
      client.on("error", (error: Error) =>
        this.connected
          ? log.warn("edgeHub client error", error)
          : log.debug(`edgeHub client error while connecting: ${connectFailure(error)}`),
      );
      const ca = await edgeHubCa(this.options.env);
      await client.setOptions({ modelId: MODEL_ID, ...(ca === undefined ? {} : { ca }) });
      for (const [name, handler] of Object.entries(this.options.methods))
        this.registerMethod(client, name, handler);
      client.on("disconnect", () => this.rebuild(generation, "edgeHub disconnected"));
      let opened = false;
      client.on("connect", () => {
        if (opened && generation === this.generation) void this.fetchTwin(generation);
      });
      this.client = client;
      await withTimeout(
        client.open(),
        this.options.openTimeoutMs ?? 30_000,
        "opening the edgeHub connection",
      );
      opened = true;
      const twin = await withTimeout(
        client.getTwin(),
        this.options.twinTimeoutMs ?? 10_000,
        "getting the module twin",
      );
      if (generation !== this.generation) return;
      this.twin = twin;
      twin.on("properties.desired", (patch: unknown) => this.options.onDesired(patch, false));
      this.connected = true;
      this.attempt = 0;
      log.info("connected to edgeHub");
      this.options.onReported?.(twin.properties.reported);
      this.options.onDesired(twin.properties.desired, true);
      this.options.onConnected();
    } catch (error) {
      if (generation !== this.generation) return;
      const reason = connectFailure(error);
      log.warn(`cannot connect to edgeHub (attempt ${this.attempt + 1}): ${reason}`);
      this.rebuild(generation, reason);
    }
  }

  private async fetchTwin(generation: number): Promise<void> {
    const client = this.client;
    if (!client || generation !== this.generation) return;
    try {
      const twin = await withTimeout(
        client.getTwin(),
        this.options.twinTimeoutMs ?? 10_000,
        "getting the module twin",
      );
      if (generation !== this.generation) return;
      const desired = twin.properties.desired as Record<string, unknown>;
      this.options.onReported?.(twin.properties.reported);
      this.options.onDesired(desired, true);
    } catch (error) {
      this.options.log.warn(
        "the module twin cannot be had after a reconnect; reconnecting with a new client",
        error,
      );
      this.rebuild(generation, "twin unavailable after reconnect");
    }
  }

  private registerMethod(client: ModuleClient, name: string, handler: MethodHandler): void {
    client.onMethod(name, (request, response) => {
      if (request === undefined || response === undefined) return;
      const respond = (status: number, payload: unknown) =>
        response.send(status, payload, (error?: Error) => {
          if (error) this.options.log.warn(`cannot answer method ${name}`, error);
        });
      handler(request.payload)
        .then(({ status, payload }) => respond(status, payload))
        .catch((error: unknown) => {
          this.options.log.error(`method ${name} failed`, error);
          respond(500, { error: "internal error" });
        });
    });
  }

  /** Forgets the current client (closed in the background, never awaited here) and connects anew after a pause. */
  private rebuild(generation: number, reason: string): void {
    if (generation !== this.generation || this.stopped) return;
    const wasConnected = this.connected;
    const old = this.client;
    this.drop();
    if (old) void closeQuietly(old, 3000);
    if (wasConnected) this.options.onDisconnected(reason);
    const delay = backoffMs(
      this.attempt++,
      this.options.retryBaseMs ?? 1000,
      this.options.retryCapMs ?? 60_000,
    );
    this.generation++;
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  private drop(): void {
    this.connected = false;
    this.client?.removeAllListeners("disconnect");
    this.client?.removeAllListeners("connect");
    this.client = null;
    this.twin = null;
  }
}

/** Closes a client without waiting forever (close() can hang after a disconnect, SDK issue 1110). */
async function closeQuietly(client: ModuleClient, ms: number): Promise<void> {
  try {
    await withTimeout(client.close(), ms, "closing the edgeHub client");
  } catch {
    // The old client is gone either way; its 'error' listener stays attached for late errors.
  }
}
