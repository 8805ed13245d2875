import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "../../modules/piko-simulator/src/clock.js";
import { parseFaultSpec } from "../../modules/piko-simulator/src/faults.js";
import {
  nightNotice,
  parseSimulateArguments,
  parseStartTime,
  simulateCommand,
} from "../../modules/piko-simulator/src/simulateCommand.js";
import { SolarDay } from "../../modules/piko-simulator/src/solarDay.js";

/** `kostal2mqtt simulate ...` arguments: defaults, every option, and all problems reported at once. */

const NOW = Date.parse("2024-06-21T10:00:00Z");

test("defaults: a PIKO 10.1 in German on any free port, real time from now, factory credentials", () => {
  assert.deepEqual(parseSimulateArguments([], NOW), {
    port: 0,
    model: "10.1",
    language: "de",
    speed: 1,
    name: "piko",
    username: "pvserver",
    password: "pvwr",
    startMs: NOW,
    fault: null,
    rs485Address: 255,
    seed: 1,
    nightBehaviour: "silent",
    bind: "127.0.0.1",
    protocol: "html",
    homeLoadW: 0,
  });
});

test("every option, in both --name value and --name=value forms", () => {
  const settings = parseSimulateArguments(
    [
      "--port",
      "8081",
      "--model=3.6",
      "--language",
      "nl",
      "--speed",
      "60.5",
      "--name",
      "Garage2",
      "--username",
      "admin",
      "--password=--secret--",
      "--start",
      "2024-12-21T09:00:00+01:00",
      "--fault",
      "slow:2500",
      "--address",
      "7",
      "--seed",
      "99",
      "--night",
      "refuse",
      "--bind",
      "0.0.0.0",
      "--protocol",
      "dxs",
      "--home-load=450",
    ],
    NOW,
  );
  assert.deepEqual(settings, {
    port: 8081,
    model: "3.6",
    language: "nl",
    speed: 60.5,
    name: "Garage2",
    username: "admin",
    password: "--secret--",
    startMs: Date.parse("2024-12-21T08:00:00Z"),
    fault: { kind: "slow", delayMs: 2500 },
    rs485Address: 7,
    seed: 99,
    nightBehaviour: "refuse",
    bind: "0.0.0.0",
    protocol: "dxs",
    homeLoadW: 450,
  });
});

test("fault specs: a kind, with a number where the kind takes one", () => {
  assert.deepEqual(parseFaultSpec("slow"), { kind: "slow", delayMs: 10_000 });
  assert.deepEqual(parseFaultSpec("drip:250"), { kind: "drip", intervalMs: 250 });
  assert.deepEqual(parseFaultSpec("status"), { kind: "status", status: 500 });
  assert.deepEqual(parseFaultSpec("status:401"), { kind: "status", status: 401 });
  assert.deepEqual(parseFaultSpec("garbage:100"), { kind: "garbage", bytes: 100 });
  assert.deepEqual(parseFaultSpec("total"), { kind: "total", kwh: 4294967295 });
  assert.deepEqual(parseFaultSpec("total:39000"), { kind: "total", kwh: 39000 });
  assert.throws(() => parseFaultSpec("total:1.5"), /total kwh must be a whole number/);
  for (const kind of ["truncated", "reset", "silent"]) assert.deepEqual(parseFaultSpec(kind), { kind });
  assert.throws(() => parseFaultSpec("reset:5"), /takes no number/);
  assert.throws(() => parseFaultSpec("status:abc"), /not a number/);
  assert.throws(() => parseFaultSpec("status:99"), /status must be a whole number from 100 to 599/);
  assert.throws(
    () => parseFaultSpec("fire"),
    /must be one of slow, drip, status, garbage, truncated, reset, silent/,
  );
});

test("all problems are listed in one plain Error (the CLI turns it into a usage error)", () => {
  const argv = [
    "--port",
    "70000",
    "--model",
    "7.0",
    "--language",
    "fr",
    "--speed",
    "0",
    "--name",
    "my piko",
    "--username",
    "a:b",
    "--start",
    "tomorrow",
    "--fault",
    "boom",
    "--address",
    "0",
    "--seed",
    "-1",
    "--night",
    "loud",
    "--colour",
    "blue",
    "--model",
    "8.3",
    "--password",
  ];
  const error = (() => {
    try {
      parseSimulateArguments(argv, NOW);
    } catch (caught) {
      return caught;
    }
    return assert.fail("expected an error");
  })();
  assert.ok(error instanceof Error);
  assert.equal("code" in error, false);
  for (const problem of [
    "--port must be a port number 0-65535",
    "--model must be one of 10.1, 8.3, 5.5, 4.2, 3.6, 3.0, got '7.0'",
    "--language must be one of de, en, nl, got 'fr'",
    "--speed must be a number above 0",
    "--name must be 1-32 letters or digits, got 'my piko'",
    "--username must be non-empty, no ':'",
    "--start must be HH:MM (today at the simulated site, UTC+01:00) or an ISO time",
    "--fault must be one of",
    "--address must be a whole number 1-255",
    "--seed must be a whole number, got '-1'",
    "--night must be silent or refuse, got 'loud'",
    "unknown option --colour",
    "unexpected argument 'blue'",
    "--model is given more than once",
    "--password needs a value",
  ]) {
    assert.ok(error.message.includes(problem), `missing '${problem}' in: ${error.message}`);
  }
});

test("an option followed by another option has no value", () => {
  assert.throws(() => parseSimulateArguments(["--port", "--model", "8.3"], NOW), /--port needs a value/);
});

/** A moment given as the simulated site's local time (UTC+01:00 all year). */
const site = (localTime: string) => Date.parse(`${localTime}+01:00`);

test("--start HH:MM is that time today at the simulated site, whatever the machine's time zone", () => {
  const start = (text: string, nowMs: number) => parseSimulateArguments(["--start", text], nowMs).startMs;
  assert.equal(start("09:00", NOW), site("2024-06-21T09:00:00"));
  assert.equal(start("9:05", NOW), site("2024-06-21T09:05:00"));
  assert.equal(start("23:59", NOW), site("2024-06-21T23:59:00"));
  // 23:30 UTC is already the next day at the site.
  assert.equal(start("09:00", Date.parse("2024-06-21T23:30:00Z")), site("2024-06-22T09:00:00"));
  assert.equal(start("00:00", site("2026-12-21T02:00:00")), site("2026-12-21T00:00:00"));
  for (const bad of ["24:00", "12:60", "9", "09:00:00:00", "noon"]) {
    assert.equal(parseStartTime(bad, NOW), null, bad);
    assert.throws(() => parseSimulateArguments(["--start", bad], NOW), /--start must be HH:MM/);
  }
});

test("--start with an ISO time: an offset or Z is that moment; without one it is the site's local time", () => {
  assert.equal(parseStartTime("2024-12-21T09:00:00+02:00", NOW), Date.parse("2024-12-21T07:00:00Z"));
  assert.equal(parseStartTime("2024-12-21T09:00:00Z", NOW), Date.parse("2024-12-21T09:00:00Z"));
  assert.equal(parseStartTime("2024-12-21T09:00", NOW), site("2024-12-21T09:00:00"));
  assert.equal(parseStartTime("2024-12-21 09:00:30.5", NOW), site("2024-12-21T09:00:30.500"));
  assert.equal(parseStartTime("2024-12-21", NOW), site("2024-12-21T00:00:00"));
  assert.equal(parseStartTime("2024-13-01T09:00", NOW), null);
  assert.equal(parseStartTime("tomorrow", NOW), null);
});

test("the night notice: asleep until the site's next sunrise, with how to start by day", () => {
  const epochMs = site("2026-12-21T02:00:00");
  const day = new SolarDay({ model: "10.1", epochMs });
  const today = day.scheduleAt(epochMs);
  // December at about 50 deg N: the sun rises at 08:26 local time and the inverter boots 5 minutes later.
  assert.equal(today.sunriseMs, site("2026-12-21T08:26:00"));
  assert.equal(
    nightNotice(day, epochMs, 1, "silent"),
    "night at the simulated site: the inverter is asleep (connections left unanswered) until sunrise at " +
      "08:26 UTC+01:00 on 2026-12-21 (it answers from 08:31, in 6 h 31 min at x1); to start it by day: " +
      "--start 09:00 (today, site time) or --start 2026-12-21T12:00, and --speed 60 to run a day in 24 minutes",
  );
  assert.match(nightNotice(day, epochMs, 60, "refuse")!, /\(connections reset\).*in 7 min at x60\)/);
  // Before midnight the sunrise to wait for is the next day's.
  const evening = site("2026-12-20T22:00:00");
  assert.match(nightNotice(day, evening, 1, "silent")!, /until sunrise at 08:26 UTC\+01:00 on 2026-12-21 /);
  // Between sunrise and the boot a few minutes later it is still asleep, and says when it answers.
  assert.match(nightNotice(day, site("2026-12-21T08:28:00"), 1, "silent")!, /answers from 08:31, in 3 min/);
  // Dawn, day and dusk: no notice.
  for (const awake of [today.wakeMs, site("2026-12-21T12:00:00"), today.sleepMs - 60_000])
    assert.equal(nightNotice(day, awake, 1, "silent"), null, new Date(awake).toISOString());
});

test("simulate started at night says so in one line; by day it does not (an injected clock)", async () => {
  const start = async (clock: ManualClock, argv: string[] = []) => {
    const lines: string[] = [];
    const simulator = await simulateCommand(["--port", "0", ...argv], (l) => lines.push(l), clock);
    await simulator.stop();
    return { lines };
  };
  const night = await start(new ManualClock(site("2026-12-21T02:00:00")));
  assert.equal(night.lines.length, 2, night.lines.join("\n"));
  assert.match(night.lines[0]!, /simulated time 2026-12-21T01:00:00\.000Z x1, now asleep/);
  assert.match(
    night.lines[1]!,
    /^night at the simulated site: the inverter is asleep .* until sunrise at 08:26 /,
  );
  assert.match(night.lines[1]!, /--start 09:00 .*--speed 60/);
  assert.doesNotMatch(night.lines[1]!, /\n/);

  // The same night, started by day with --start HH:MM: the simulated time is 09:00 at the site, and no notice.
  const byDay = await start(new ManualClock(site("2026-12-21T02:00:00")), ["--start", "09:00"]);
  assert.equal(byDay.lines.length, 1, byDay.lines.join("\n"));
  assert.match(byDay.lines[0]!, /simulated time 2026-12-21T08:00:00\.000Z x1, now (idle|feeding)/);
});
