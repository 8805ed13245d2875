import assert from "node:assert/strict";
import { test } from "node:test";
import { AcceleratedClock, ManualClock } from "../../modules/piko-simulator/src/clock.js";
import type { ModelId } from "../../modules/piko-simulator/src/models.js";
import {
  SolarDay,
  type InverterState,
  type InverterValues,
} from "../../modules/piko-simulator/src/solarDay.js";

/** The simulated day, minute by minute: the order of states, the counters, and values that fit together. */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const RATED: Record<ModelId, number> = {
  "10.1": 10000,
  "8.3": 8300,
  "5.5": 5500,
  "4.2": 4200,
  "3.6": 3600,
  "3.0": 3000,
};
const LAYOUTS: Record<ModelId, { strings: number; phases: number }> = {
  "10.1": { strings: 3, phases: 3 },
  "8.3": { strings: 2, phases: 3 },
  "5.5": { strings: 3, phases: 3 },
  "4.2": { strings: 2, phases: 3 },
  "3.6": { strings: 2, phases: 1 },
  "3.0": { strings: 1, phases: 1 },
};

/** Local midnight (UTC+1) of a date. */
const midnight = (date: string) => Date.parse(`${date}T00:00:00+01:00`);

interface Sample {
  ms: number;
  state: InverterState;
  values: InverterValues | null;
}

/** The day as seen through an injected manual clock, one look a minute, from local midnight for `hours`. */
function walk(day: SolarDay, clock: ManualClock, hours: number): Sample[] {
  const samples: Sample[] = [];
  const end = clock.now() + hours * HOUR;
  for (; clock.now() < end; clock.advance(MINUTE)) {
    const ms = clock.now();
    samples.push({ ms, state: day.stateAt(ms), values: day.valuesAt(ms) });
  }
  return samples;
}

function runs(samples: Sample[]): InverterState[] {
  return samples.map((s) => s.state).filter((state, i, all) => i === 0 || state !== all[i - 1]);
}

for (const model of Object.keys(LAYOUTS) as ModelId[]) {
  for (const date of ["2024-06-21", "2024-12-21"]) {
    test(`PIKO ${model} on ${date}: two simulated days, minute by minute`, () => {
      const clock = new ManualClock(midnight(date));
      const day = new SolarDay({ model, seed: 42, epochMs: clock.now(), startTotalKwh: 39116 });
      const samples = walk(day, clock, 48);
      const { strings, phases } = LAYOUTS[model];

      assert.deepEqual(runs(samples), [
        "asleep",
        "idle",
        "feeding",
        "off",
        "asleep",
        "idle",
        "feeding",
        "off",
        "asleep",
      ]);
      for (const { ms, state, values } of samples) {
        assert.equal(values === null, state === "asleep");
        assert.equal(values?.state ?? "asleep", state);
        const hour = new Date(ms + HOUR).getUTCHours();
        if (hour < 4 || hour >= 21) assert.equal(state, "asleep", `asleep at night (${hour} h)`);
        if (hour >= 11 && hour < 14) assert.equal(state, "feeding", `feeding around noon (${hour} h)`);
      }

      let previous: InverterValues | null = null;
      for (const { values } of samples) {
        if (values === null) continue;
        assert.equal(values.strings.length, strings);
        assert.equal(values.phases.length, phases);
        assert.equal(
          values.phases.reduce((sum, phase) => sum + phase.powerW, 0),
          values.acPowerW,
          "phase powers add up to the AC power",
        );
        if (previous !== null) {
          assert.ok(values.energyTotalKwh >= previous.energyTotalKwh, "the total never decreases");
          if (values.energyTodayKwh < previous.energyTodayKwh) {
            assert.equal(previous.state, "off", "the daily energy only restarts after the evening");
            assert.equal(values.state, "idle");
          }
        }
        checkValues(model, values);
        previous = values;
      }

      // Each morning starts from 0; the evening keeps the day's energy, and the total grew by about as much.
      const firstLooks = samples.filter((s, i) => s.values !== null && samples[i - 1]?.values === null);
      assert.equal(firstLooks.length, 2);
      for (const look of firstLooks) assert.equal(look.values!.energyTodayKwh, 0);
      const lastLook = samples.filter((s, i) => s.values !== null && samples[i + 1]?.values === null)[0]!
        .values!;
      assert.equal(lastLook.state, "off");
      assert.ok(lastLook.energyTodayKwh > 1, `a day yields energy (${lastLook.energyTodayKwh} kWh)`);
      assert.ok(lastLook.energyTodayKwh < (RATED[model] / 1000) * 12, "but no more than the rating allows");
      assert.ok(Math.abs(lastLook.energyTotalKwh - 39116 - lastLook.energyTodayKwh) <= 1);

      // The daily energy is the integral of the power shown.
      const feeding = samples.slice(0, 24 * 60).filter((s) => s.values?.state === "feeding");
      const integralKwh = feeding.reduce((sum, s) => sum + s.values!.acPowerW, 0) / 60 / 1000;
      assert.ok(Math.abs(integralKwh - lastLook.energyTodayKwh) < 0.01 * lastLook.energyTodayKwh + 0.05);
    });
  }
}

/** Values that hang together for the state. */
function checkValues(model: ModelId, values: InverterValues): void {
  const wired = model === "5.5" ? 2 : LAYOUTS[model].strings;
  const dcPowerW = values.strings.reduce((sum, s) => sum + s.voltageV * s.currentA, 0);
  switch (values.state) {
    case "idle":
      assert.equal(values.acPowerW, 0);
      values.strings.forEach((s, i) => {
        assert.ok(i < wired ? s.voltageV > 50 : s.voltageV === 0, "PV voltage at dawn on wired strings");
        assert.ok(s.currentA <= 0.02);
      });
      values.phases.forEach((p) => assert.ok(p.voltageV > 220 && p.voltageV < 240 && p.powerW === 0));
      return;
    case "feeding":
      assert.ok(values.acPowerW > 0 && values.acPowerW <= RATED[model]);
      // DC power is about AC / 0.96; voltages and currents are rounded, hence the slack.
      assert.ok(Math.abs(dcPowerW - values.acPowerW / 0.96) <= 0.02 * values.acPowerW + 10, `DC ${dcPowerW}`);
      values.strings.forEach((s, i) => assert.ok(i < wired ? s.voltageV > 250 : s.voltageV === 0));
      values.phases.forEach((p) => assert.ok(p.voltageV > 220 && p.voltageV < 240));
      return;
    case "off":
      assert.equal(values.acPowerW, 0);
      assert.equal(dcPowerW, 0);
      return;
  }
}

test("every day of a leap year: sane values at noon and a daily yield", () => {
  const start = midnight("2024-01-01");
  const day = new SolarDay({ model: "10.1", seed: 11, epochMs: start });
  let total = 39116;
  for (let d = 0; d < 366; d++) {
    const noon = day.valuesAt(start + d * 24 * HOUR + 12 * HOUR + 20 * MINUTE);
    assert.equal(noon?.state, "feeding", `day ${d}`);
    assert.ok(noon.acPowerW > 0 && noon.acPowerW <= 10000, `day ${d}: ${noon.acPowerW} W`);
    const evening = day.valuesAt(day.scheduleAt(start + d * 24 * HOUR + 12 * HOUR).feedEndMs)!;
    assert.ok(
      evening.energyTodayKwh > 0 && evening.energyTodayKwh < 120,
      `day ${d}: ${evening.energyTodayKwh} kWh`,
    );
    assert.ok(evening.energyTotalKwh >= total);
    total = evening.energyTotalKwh;
  }
});

test("summer days are longer than winter days", () => {
  const day = new SolarDay({ model: "8.3", epochMs: midnight("2024-01-01") });
  const length = (date: string) => {
    const s = day.scheduleAt(midnight(date) + 12 * HOUR);
    return s.feedEndMs - s.feedStartMs;
  };
  assert.ok(length("2024-06-21") > length("2024-03-20") + 3 * HOUR);
  assert.ok(length("2024-03-20") > length("2024-12-21") + 3 * HOUR);
});

test("the same seed gives the same day; another seed other clouds", () => {
  const epochMs = midnight("2024-05-01");
  const a = new SolarDay({ model: "10.1", seed: 7, epochMs });
  const b = new SolarDay({ model: "10.1", seed: 7, epochMs });
  const c = new SolarDay({ model: "10.1", seed: 8, epochMs });
  const times = Array.from({ length: 24 }, (_, i) => epochMs + 8 * HOUR + i * 17 * MINUTE);
  assert.deepEqual(
    times.map((ms) => a.valuesAt(ms)),
    times.map((ms) => b.valuesAt(ms)),
  );
  assert.notDeepEqual(
    times.map((ms) => a.valuesAt(ms)?.acPowerW),
    times.map((ms) => c.valuesAt(ms)?.acPowerW),
  );
});

test("the total starts at the configured value and only grows, whatever order it is asked in", () => {
  const epochMs = midnight("2024-04-10") + 13 * HOUR;
  const day = new SolarDay({ model: "4.2", seed: 3, epochMs, startTotalKwh: 12345.6 });
  assert.equal(day.valuesAt(epochMs)!.energyTotalKwh, 12345);
  const later = epochMs + 30 * 24 * HOUR; // a month on, at the same time of day
  const total = day.valuesAt(later)!.energyTotalKwh;
  assert.ok(total > 12345 + 30, `a month of sun adds energy (${total})`);
  // Asked again from a fresh instance, and after looking back in time: the same answers.
  assert.equal(day.valuesAt(epochMs)!.energyTotalKwh, 12345);
  assert.equal(
    new SolarDay({ model: "4.2", seed: 3, epochMs, startTotalKwh: 12345.6 }).valuesAt(later)!.energyTotalKwh,
    total,
  );
  const before = day.totalEnergyKwh(epochMs - 2 * 24 * HOUR);
  assert.ok(before < 12345.6 && before > 12345.6 - 200, `before the start the total was lower (${before})`);
});

test("sunrise and the daily reset follow the configured UTC offset", () => {
  const epochMs = midnight("2024-06-01");
  const plusOne = new SolarDay({ model: "3.0", epochMs }).scheduleAt(epochMs + 12 * HOUR);
  const plusThree = new SolarDay({ model: "3.0", epochMs, utcOffsetHours: 3 }).scheduleAt(
    epochMs + 12 * HOUR,
  );
  assert.equal(plusOne.wakeMs - plusThree.wakeMs, 2 * HOUR);
  assert.throws(() => new SolarDay({ model: "3.0", epochMs, utcOffsetHours: 15 }), RangeError);
});

test("the manual clock moves only when told", () => {
  const clock = new ManualClock(1000);
  assert.equal(clock.now(), 1000);
  clock.advance(500);
  assert.equal(clock.now(), 1500);
  clock.set(100);
  assert.equal(clock.now(), 100);
  assert.throws(() => clock.set(Number.NaN), RangeError);
});

test("the accelerated clock runs speed times faster than its base, from its start", () => {
  const base = new ManualClock(5_000);
  const clock = new AcceleratedClock({ speed: 60, startMs: midnight("2024-06-21"), base });
  assert.equal(clock.now(), midnight("2024-06-21"));
  base.advance(1000);
  assert.equal(clock.now(), midnight("2024-06-21") + 60_000);
  base.advance(60_000);
  assert.equal(clock.now(), midnight("2024-06-21") + 61 * 60_000);
  assert.throws(() => new AcceleratedClock({ speed: 0 }), RangeError);
  assert.throws(() => new AcceleratedClock({ speed: Number.POSITIVE_INFINITY }), RangeError);
});
