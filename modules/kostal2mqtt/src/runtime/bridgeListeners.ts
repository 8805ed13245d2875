import type { BridgeSettings } from "../config/bridgeSettings.js";
import type { Logger } from "../log/logger.js";
import type { InverterStatusReport } from "../ports/output.js";
import type { BridgeObserver, SettingsListener, StatusListener } from "./bridgeControl.js";

/**
 * Who listens to the bridge besides its outputs (the module twin's controller, the health server's metrics and
 * status page, the mirrors), and the telling of them: each call is guarded, so a listener's throw is a bug said in
 * the log, never the bridge's failure nor another listener's loss.
 */
export class BridgeListeners {
  private readonly status = new Set<StatusListener>();
  private readonly settings = new Set<SettingsListener>();
  private readonly observers = new Set<BridgeObserver>();

  constructor(private readonly log: Logger) {}

  onInverterStatus(listener: StatusListener): () => void {
    this.status.add(listener);
    return () => this.status.delete(listener);
  }

  onSettingsApplied(listener: SettingsListener): () => void {
    this.settings.add(listener);
    return () => this.settings.delete(listener);
  }

  observe(observer: BridgeObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  statusChanged(report: InverterStatusReport): void {
    for (const listener of this.status)
      this.guarded(`inverter ${report.inverter}: a status listener`, () => listener(report));
  }

  settingsApplied(applied: BridgeSettings): void {
    for (const listener of this.settings) this.guarded("a settings listener", () => listener(applied));
  }

  /** Tells every observer; `subject` (an inverter, an output) names the failing call in the log. */
  tell(subject: string, call: (observer: BridgeObserver) => void): void {
    for (const observer of this.observers) this.guarded(`${subject}: an observer`, () => call(observer));
  }

  private guarded(who: string, call: () => void): void {
    try {
      call();
    } catch (error) {
      this.log.error(`${who} failed (a bug); the bridge goes on`, error);
    }
  }
}
