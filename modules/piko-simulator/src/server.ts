import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Clock } from "./clock.js";
import { DeviceGeneration, defaultIdentity, type Protocol } from "./deviceGeneration.js";
import { FaultSwitch, type Fault, type FaultKind } from "./faults.js";
import type { Language } from "./languages.js";
import { LOGDATEN_PATH, renderLogDaten } from "./logDaten.js";
import type { ModelId } from "./models.js";
import { renderStatusPage } from "./pageRenderer.js";
import { deliver, errorResponse, TEXT_HTML, TimerSet, type PlannedResponse } from "./responseDelivery.js";
import { postedBusAddress, Rs485Neighbours } from "./rs485Bus.js";
import { resolveOptions, type NightBehaviour, type PikoSimulatorOptions } from "./simulatorOptions.js";
import { SolarDay, type InverterValues } from "./solarDay.js";

export type { NightBehaviour, PikoSimulatorOptions } from "./simulatorOptions.js";

/**
 * A simulated PIKO on 127.0.0.1: an old-generation one's status page at `/index.fhtml` (and `/`) behind HTTP
 * Basic auth, asked for every path like the device does, or a newer one's dxs.json API or MP plus documents
 * (`protocol`, deviceGeneration.ts); values from a SolarDay on an injected clock; asleep at night;
 * faults on demand. The device's web server handles one exchange at a time (piko.md), so requests are answered
 * one after another: a hanging answer holds up the next, as on the real thing.
 */

export interface SimulatorStats {
  /** HTTP requests received (answered or not). */
  requests: number;
  /** Status pages sent intact (200). */
  pages: number;
  /** 401 answers for missing or wrong credentials. */
  unauthorized: number;
  notFound: number;
  /** Requests a fault was applied to. */
  faulted: number;
  /** Connections and requests met while asleep (left hanging or reset). */
  asleep: number;
  /** Requests that arrived while another was being answered (clients that do not take turns). */
  overlapping: number;
}

/** How a request was taken up, emitted as `exchange` when the simulator decides (before a delayed answer). */
export interface ExchangeInfo {
  method: string;
  path: string;
  /** What the request earned; a fault may still change how (or whether) it is delivered. */
  outcome: "page" | "history" | "unauthorized" | "not-found" | "not-allowed" | "asleep";
  fault: FaultKind | null;
}

export interface SimulatorEvents {
  exchange: [ExchangeInfo];
}

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
}

const HOST = "127.0.0.1";
const REALM = 'Basic realm="PV Webserver"';
const PAGE_PATHS = new Set(["/", "/index.fhtml"]);

export class PikoSimulator extends EventEmitter<SimulatorEvents> {
  readonly model: ModelId;
  readonly language: Language;
  readonly name: string;
  readonly rs485Address: number;
  readonly nightBehaviour: NightBehaviour;
  /** Which interface it speaks: the old status page, the dxs.json API or MP plus XML (deviceGeneration.ts). */
  readonly protocol: Protocol;
  /** The dxs.json or MP plus answers; null for the old generation. */
  private readonly generation: DeviceGeneration | null;
  /** The day curve behind the page: `simulator.day.valuesAt(clock.now())` is what the page shows. */
  readonly day: SolarDay;
  private readonly clock: Clock;
  /** When the simulation started, on its clock: the history file's counter and first day follow it. */
  private readonly startMs: number;
  private readonly credentials: string;
  private readonly faults: FaultSwitch;
  private readonly timers = new TimerSet();
  private readonly sockets = new Set<Socket>();
  /** Requests waiting for their turn, and the one being answered: the device serves one at a time. */
  private readonly waiting: Exchange[] = [];
  private current: Exchange | null = null;
  private server: Server | null = null;
  private baseUrl: string | null = null;
  private readonly counts: SimulatorStats = {
    requests: 0,
    pages: 0,
    unauthorized: 0,
    notFound: 0,
    faulted: 0,
    asleep: 0,
    overlapping: 0,
  };
  /** Other inverters on this one's RS485 bus, shown when the status page's form posts their address. */
  private bus: Rs485Neighbours | null = null;

  constructor(options: PikoSimulatorOptions) {
    super();
    const resolved = resolveOptions(options);
    this.model = resolved.model;
    this.language = resolved.language;
    this.name = resolved.name;
    this.rs485Address = resolved.rs485Address;
    this.nightBehaviour = resolved.nightBehaviour;
    this.clock = resolved.clock;
    this.startMs = this.clock.now();
    this.credentials = `${resolved.username}:${resolved.password}`;
    const seed = resolved.seed;
    this.faults = new FaultSwitch(seed);
    this.day = new SolarDay({
      model: this.model,
      seed,
      epochMs: this.clock.now(),
      ...(resolved.startTotalKwh !== undefined && { startTotalKwh: resolved.startTotalKwh }),
      ...(resolved.utcOffsetHours !== undefined && { utcOffsetHours: resolved.utcOffsetHours }),
    });
    this.protocol = resolved.protocol;
    const identity = defaultIdentity(this.protocol, this.day.model, this.name, seed);
    this.generation =
      resolved.protocol === "html"
        ? null
        : new DeviceGeneration({
            protocol: resolved.protocol,
            model: this.day.model,
            identity: resolved.serial === undefined ? identity : { ...identity, serial: resolved.serial },
            rs485Address: this.rs485Address,
            utcOffsetHours: this.day.utcOffsetHours,
            homeLoadW: resolved.homeLoadW,
            epochMs: this.clock.now(),
          });
  }

  /**
   * Listens on 127.0.0.1 (port 0: any free port); resolves with the base URL, e.g. `http://127.0.0.1:41234`.
   * `host` "0.0.0.0" is only for the simulator as a container module, reached over the container network.
   */
  async start(port = 0, host: "127.0.0.1" | "0.0.0.0" = HOST): Promise<string> {
    if (this.server !== null) throw new Error("the PIKO simulator is already started");
    const server = createServer({ keepAliveTimeout: 5000 }, (req, res) => this.enqueue(req, res));
    server.on("connection", (socket: Socket) => this.connected(socket));
    this.server = server;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve();
        });
      });
    } catch (error) {
      this.server = null;
      throw error;
    }
    const { port: bound } = server.address() as AddressInfo;
    this.baseUrl = `http://${HOST}:${bound}`;
    return this.baseUrl;
  }

  /** Closes the listener and every connection, hanging ones included, and cancels pending answers. */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    this.server = null;
    this.timers.clear();
    this.waiting.length = 0;
    this.current = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.baseUrl = null;
    await closed;
  }

  /** The base URL while started, else null. */
  get url(): string | null {
    return this.baseUrl;
  }

  /**
   * Puts `neighbours` (simulators that are not started) on this inverter's RS485 bus: a POST of `edWrNr=<address>`
   * shows theirs (rs485Bus.ts). Throws RangeError when an address is taken twice.
   */
  connectBus(neighbours: readonly PikoSimulator[]): void {
    this.bus = new Rs485Neighbours(this.rs485Address, neighbours);
  }

  /** Switches a fault on (replacing any other) or off with null. Throws RangeError on bad settings. */
  setFault(fault: Fault | null): void {
    this.faults.set(fault);
  }

  get fault(): Fault | null {
    return this.faults.current;
  }

  get stats(): Readonly<SimulatorStats> {
    return { ...this.counts };
  }

  /** What the page shows now, or null while the inverter is asleep. */
  valuesNow(): InverterValues | null {
    return this.day.valuesAt(this.clock.now());
  }

  /** The page as it would be sent now (null while asleep). */
  renderNow(): Buffer | null {
    const values = this.valuesNow();
    return values === null ? null : this.render(values);
  }

  private render(values: InverterValues): Buffer {
    // Spelled out: an object spread here made every render several microseconds slower (measured).
    return renderStatusPage({
      model: this.model,
      language: this.language,
      name: this.name,
      rs485Address: this.rs485Address,
      state: values.state,
      acPowerW: values.acPowerW,
      energyTotalKwh: values.energyTotalKwh,
      energyTodayKwh: values.energyTodayKwh,
      strings: values.strings,
      phases: values.phases,
    });
  }

  private asleep(): boolean {
    return this.day.stateAt(this.clock.now()) === "asleep";
  }

  private connected(socket: Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    if (this.asleep()) {
      this.counts.asleep += 1;
      // Silent: the connection stays open with no answer until the client gives up (or stop()).
      if (this.nightBehaviour === "refuse") socket.resetAndDestroy();
    }
  }

  private enqueue(req: IncomingMessage, res: ServerResponse): void {
    this.counts.requests += 1;
    const exchange = { req, res };
    res.once("close", () => {
      if (this.current === exchange) {
        this.current = null;
        this.next();
      } else {
        const index = this.waiting.indexOf(exchange);
        if (index >= 0) this.waiting.splice(index, 1);
      }
    });
    if (this.current !== null) this.counts.overlapping += 1;
    this.waiting.push(exchange);
    this.next();
  }

  private next(): void {
    if (this.current !== null || this.server === null) return;
    const exchange = this.waiting.shift();
    if (exchange === undefined) return;
    this.current = exchange;
    if (exchange.req.method !== "POST") {
      this.answer(exchange.req, exchange.res, null);
      return;
    }
    // The status page's form posts the bus address to show; the body is read before the answer is chosen.
    void postedBusAddress(exchange.req).then((address) => {
      if (this.current === exchange) this.answer(exchange.req, exchange.res, address);
    });
  }

  private answer(req: IncomingMessage, res: ServerResponse, busAddress: number | null): void {
    const method = req.method ?? "GET";
    const [path = "/", query = ""] = (req.url ?? "/").split("?", 2);
    const values = this.valuesNow();
    if (values === null) {
      this.counts.asleep += 1;
      if (this.nightBehaviour === "refuse") req.socket.resetAndDestroy();
      this.emit("exchange", { method, path, outcome: "asleep", fault: null });
      return;
    }
    const fault = this.faults.draw();
    if (fault !== null) this.counts.faulted += 1;
    const shown = fault?.kind === "total" ? { ...values, energyTotalKwh: fault.kwh } : values;
    const { outcome, planned } =
      this.generation === null
        ? this.plan(req.headers.authorization, method, path, shown, busAddress)
        : this.planNewer(this.generation, method, path, query, shown);
    // A page with a false total is still a whole page: the bridge has to see that the number is wrong.
    const intact = fault === null || fault.kind === "slow" || fault.kind === "drip" || fault.kind === "total";
    if (intact && outcome === "page") this.counts.pages += 1;
    this.emit("exchange", { method, path, outcome, fault: fault?.kind ?? null });
    deliver(res, planned, fault, {
      timers: this.timers,
      garbage: (length) => this.faults.garbage(length),
      statusResponse: (status) => this.statusResponse(status),
    });
  }

  /** The answer the device would give: auth first (for every path), then the path, then the method. */
  private plan(
    authorization: string | undefined,
    method: string,
    path: string,
    values: InverterValues,
    busAddress: number | null,
  ): { outcome: ExchangeInfo["outcome"]; planned: PlannedResponse } {
    if (!this.authorised(authorization)) {
      this.counts.unauthorized += 1;
      return { outcome: "unauthorized", planned: this.statusResponse(401) };
    }
    if (path === LOGDATEN_PATH && method === "GET") {
      const { day, startMs, rs485Address, name } = this;
      const history = renderLogDaten({ day, startMs, rs485Address, name }, this.clock.now());
      return {
        outcome: "history",
        planned: { status: 200, headers: { "Content-Type": "text/plain" }, body: history },
      };
    }
    if (!PAGE_PATHS.has(path)) {
      this.counts.notFound += 1;
      return { outcome: "not-found", planned: errorResponse(404, "Not Found") };
    }
    if (method !== "GET" && method !== "HEAD" && method !== "POST") {
      const planned = errorResponse(405, "Method Not Allowed", { Allow: "GET, HEAD, POST" });
      return { outcome: "not-allowed", planned };
    }
    const neighbourPage = busAddress === null ? null : this.bus?.pageAt(busAddress);
    const body = neighbourPage ?? this.render(values);
    return { outcome: "page", planned: { status: 200, headers: { "Content-Type": TEXT_HTML }, body } };
  }

  /** A newer device: no login; its paths (dxs.json or the MP plus documents), GET and HEAD only. */
  private planNewer(
    generation: DeviceGeneration,
    method: string,
    path: string,
    query: string,
    values: InverterValues,
  ): { outcome: ExchangeInfo["outcome"]; planned: PlannedResponse } {
    const planned = generation.answer(path, new URLSearchParams(query), values, this.clock.now());
    if (planned === null) {
      this.counts.notFound += 1;
      return { outcome: "not-found", planned: errorResponse(404, "Not Found") };
    }
    if (method !== "GET" && method !== "HEAD") {
      return {
        outcome: "not-allowed",
        planned: errorResponse(405, "Method Not Allowed", { Allow: "GET, HEAD" }),
      };
    }
    return { outcome: "page", planned };
  }

  private statusResponse(status: number): PlannedResponse {
    if (status === 401) return errorResponse(401, "Unauthorized", { "WWW-Authenticate": REALM });
    return errorResponse(status, status >= 500 ? "Server Error" : "Error");
  }

  private authorised(header: string | undefined): boolean {
    const match = header === undefined ? null : /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    return match !== null && Buffer.from(match[1]!, "base64").toString("latin1") === this.credentials;
  }
}
