import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import mqtt, { type MqttClient } from "mqtt";
import { startEdgeHubEmulator, type EdgeHubEmulator } from "../../modules/edgehub-emulator/src/index.js";
import { AcceleratedClock, PikoSimulator, type Fault } from "../../modules/piko-simulator/src/index.js";
import { ModuleProcess } from "../support/moduleProcess.js";
import { Mosquitto, mosquittoTestOptions } from "../support/mosquitto.js";
import { Prng, randomSeed } from "../support/prng.js";
import { NOON } from "../support/simulatedTime.js";

/**
 * The soak test: a simulated day and night (the inverter's clock 480 times faster: a day in 3 minutes) with random
 * faults from every side (inverter down, slow, garbage, 401, 500, cut off; broker restarts; edgeHub restarts that
 * lose every session), against the real mosquitto and the edgeHub emulator, with both outputs on. It asserts:
 * no crash, every reading delivered to both outputs once the faults end, no published total ever decreasing, the
 * log within its budget, and memory that does not grow; and prints its figures.
 */

const MODULE = "kostal2mqtt";
const SOAK_MS = Number(process.env.KOSTAL_SOAK_MS ?? 200_000);
const seed = Number(process.env.KOSTAL_FUZZ_SEED ?? randomSeed());
const INVERTER_FAULTS: Fault[] = [
  { kind: "slow", delayMs: 7000 },
  { kind: "garbage" },
  { kind: "status", status: 401 },
  { kind: "status", status: 500 },
  { kind: "truncated" },
  { kind: "reset" },
  { kind: "silent" },
  { kind: "drip", chunkBytes: 64, intervalMs: 200 },
];

interface Seen {
  id: string;
  ts: number;
  total: number | null;
}

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

describe(`soak: a day and a night with faults from every side (seed ${seed})`, mosquittoTestOptions, () => {
  let broker: Mosquitto;
  let emulator: EdgeHubEmulator;
  let simulator: PikoSimulator;
  let module: ModuleProcess;
  let subscriber: MqttClient;
  const viaMqtt = new Map<string, Seen>();

  before(async () => {
    broker = await Mosquitto.start({ bridge: "bridge-pw", tester: "tester-pw" });
    emulator = await startEdgeHubEmulator({
      modules: [{ moduleId: MODULE, desired: { pollIntervalSeconds: 2 } }],
    });
    // From midsummer noon at the site, whatever the date and time it runs at: 200 s at x480 are 26.7 simulated
    // hours, so the inverter feeds from the start, goes off and asleep after sunset, and wakes the next morning.
    simulator = new PikoSimulator({
      model: "8.3",
      clock: new AcceleratedClock({ speed: 480, startMs: NOON }),
    });
    const host = new URL(await simulator.start()).host;
    subscriber = mqtt.connect(broker.url, {
      username: "tester",
      password: "tester-pw",
      clientId: "soak",
      clean: false,
      reconnectPeriod: 500,
    });
    subscriber.on("message", (topic, payload) => {
      if (topic.startsWith("KOSTAL/bridge/")) return;
      const reading = JSON.parse(payload.toString("utf8")) as {
        inverter: string;
        ts_ms: number;
        energy_total_kwh: number | null;
      };
      const id = `${reading.inverter}-${reading.ts_ms}`;
      viaMqtt.set(id, { id, ts: reading.ts_ms, total: reading.energy_total_kwh });
    });
    await new Promise<void>((resolve) => subscriber.once("connect", () => resolve()));
    await subscriber.subscribeAsync("KOSTAL/+/state", { qos: 1 });
    module = new ModuleProcess(["run"], {
      ...emulator.connectionStringEnvironment(MODULE),
      KOSTAL_HOST: host,
      KOSTAL_ID: "dach",
      KOSTAL_TIMEOUT: "3",
      SCRAPE_INTERVAL: "2",
      // The inverter's clock runs 480 times faster: keep the module's backoff in proportion.
      RETRY_MAX_SECONDS: "6",
      AUTH_RETRY_SECONDS: "4",
      MQTT_HOST: "127.0.0.1",
      MQTT_PORT: String(broker.port),
      MQTT_USERNAME: "bridge",
      MQTT_PASSWORD: "bridge-pw",
    });
    await emulator.waitForConnection(MODULE, 0, 30_000);
  });

  after(async () => {
    subscriber?.end(true);
    await module?.stop();
    await emulator?.stop();
    await simulator?.stop();
    await broker?.stop();
  });

  test(
    "no crash, nothing lost, no total decreasing, a bounded log, steady memory",
    { timeout: SOAK_MS + 180_000 },
    async () => {
      const prng = new Prng(seed, 7);
      const faults = { inverter: 0, broker: 0, edgeHub: 0 };
      const rss: number[] = [];
      const started = Date.now();
      while (Date.now() - started < SOAK_MS) {
        await new Promise((resolve) => setTimeout(resolve, 4000 + prng.int(6000)));
        rss.push(rssMiB(module.pid!));
        const roll = prng.int(10);
        if (roll < 6) {
          simulator.setFault({ ...prng.pick(INVERTER_FAULTS), remaining: 1 + prng.int(4) });
          faults.inverter++;
        } else if (roll < 8) {
          await broker.restart(500 + prng.int(3000));
          faults.broker++;
        } else if (roll === 8) {
          await emulator.restart({ loseSessions: true });
          faults.edgeHub++;
        } else {
          await emulator.dropConnections();
          faults.edgeHub++;
        }
      }
      simulator.setFault(null);
      // Faults over: everything the module made must arrive at both outputs.
      const compare = () => {
        const edgeIds = new Set(
          emulator.messages.filter((m) => m.output === "telemetry").map((m) => m.messageId ?? ""),
        );
        const missingFromMqtt = [...edgeIds].filter((id) => !viaMqtt.has(id));
        const missingFromEdge = [...viaMqtt.keys()].filter((id) => !edgeIds.has(id));
        return { edgeIds, missingFromMqtt, missingFromEdge };
      };
      const settled = await emulator
        .waitUntil(
          () => {
            const { edgeIds, missingFromMqtt, missingFromEdge } = compare();
            return missingFromMqtt.length === 0 && missingFromEdge.length === 0 && edgeIds.size > 0
              ? edgeIds
              : undefined;
          },
          120_000,
          "every reading at both outputs",
        )
        .catch((error: unknown) => {
          const { edgeIds, missingFromMqtt, missingFromEdge } = compare();
          console.log(
            `soak: edgeHub ${edgeIds.size}, MQTT ${viaMqtt.size}; missing at MQTT ${missingFromMqtt.join(" ")}; ` +
              `missing at edgeHub ${missingFromEdge.join(" ")}\n${module.stderr.slice(-30).join("\n")}`,
          );
          throw error;
        });
      // The module may be reconnecting after the last fault: ask until it answers.
      const status = await emulator
        .waitUntil(() => (emulator.moduleState(MODULE).connected ? true : undefined), 60_000)
        .then(async () => {
          for (let attempt = 0; ; attempt++) {
            try {
              return await emulator.invokeMethod(MODULE, "getStatus", {}, 10_000);
            } catch (error) {
              if (attempt >= 10) throw error;
              await new Promise((resolve) => setTimeout(resolve, 1000));
            }
          }
        });
      const outputs = (status.payload as { outputs: Record<string, { dropped: number; queued: number }> })
        .outputs;
      const readings = [...viaMqtt.values()].sort((a, b) => a.ts - b.ts);
      let lastTotal = -Infinity;
      for (const reading of readings) {
        if (reading.total === null) continue;
        assert.ok(
          reading.total >= lastTotal,
          `total fell from ${lastTotal} to ${reading.total} at ${reading.ts}`,
        );
        lastTotal = reading.total;
      }
      const edgeTotals = emulator.messages
        .filter((m) => m.output === "telemetry")
        .map((m) => JSON.parse(m.body.toString("utf8")) as { ts_ms: number; energy_total_kwh: number | null })
        .sort((a, b) => a.ts_ms - b.ts_ms);
      lastTotal = -Infinity;
      for (const reading of edgeTotals) {
        if (reading.energy_total_kwh === null) continue;
        assert.ok(reading.energy_total_kwh >= lastTotal, "a total decreasing at edgeHub");
        lastTotal = reading.energy_total_kwh;
      }
      const faultCount = faults.inverter + faults.broker + faults.edgeHub;
      const logLines = module.stderr.length;
      const third = Math.max(1, Math.floor(rss.length / 3));
      const early = median(rss.slice(0, third));
      const late = median(rss.slice(-third));
      console.log(
        `soak figures: ${(SOAK_MS / 1000).toFixed(0)} s (${((SOAK_MS * 480) / 3600_000).toFixed(1)} simulated hours); ` +
          `readings produced/delivered: ${settled.size}/${viaMqtt.size} (MQTT) and ${settled.size} (edgeHub); ` +
          `dropped: mqtt ${outputs.mqtt?.dropped}, edgehub ${outputs.edgehub?.dropped}; ` +
          `faults: inverter ${faults.inverter}, broker ${faults.broker}, edgeHub ${faults.edgeHub}; ` +
          `log lines: ${logLines}; RSS MiB early/late/peak: ${early.toFixed(1)}/${late.toFixed(1)}/${Math.max(...rss).toFixed(1)}`,
      );
      if (process.env.KOSTAL_SOAK_LOG === "1") console.log(module.stderr.join("\n"));
      assert.equal(
        module.stderr.some((line) => /internal error/.test(line)),
        false,
        "no crash",
      );
      assert.equal(outputs.mqtt?.dropped, 0);
      assert.equal(outputs.edgehub?.dropped, 0);
      assert.ok(logLines <= 40 + 8 * faultCount, `log lines ${logLines} for ${faultCount} faults`);
      assert.ok(late <= early * 1.25 + 5, `memory grew from ${early} to ${late} MiB`);
      assert.equal(await module.stop(), 0, "SIGTERM: exit 0");
    },
  );
});
