import { serialiseReading } from "../reading/serialise.js";
import type { Reading } from "../reading/reading.js";
import type {
  BridgeEvent,
  HistoryMessage,
  InverterStatusReport,
  Output,
  OutputHealth,
} from "../ports/output.js";

/** Readings as JSON lines on standard output: the output when neither edgeHub nor a broker is configured. */
export class ConsoleOutput implements Output {
  readonly name = "console";
  private delivered = 0;

  constructor(private readonly write: (line: string) => void) {}

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  publishReading(reading: Reading): void {
    this.write(serialiseReading(reading));
    this.delivered++;
  }

  /** History lines go out beside the readings; their `kind` tells them apart. */
  publishHistory(message: HistoryMessage): void {
    this.write(message.payload);
    this.delivered++;
  }

  publishInverterStatus(_status: InverterStatusReport): void {}

  publishEvent(_event: BridgeEvent): void {}

  health(): OutputHealth {
    return {
      state: "connected",
      queued: 0,
      dropped: 0,
      delivered: this.delivered,
      message: "standard output",
    };
  }
}
