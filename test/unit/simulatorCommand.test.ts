import assert from "node:assert/strict";
import { test } from "node:test";
import { parseFaultSpec } from "../../modules/piko-simulator/src/faults.js";
import { parseSimulateArguments } from "../../modules/piko-simulator/src/simulateCommand.js";

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
  });
});

test("fault specs: a kind, with a number where the kind takes one", () => {
  assert.deepEqual(parseFaultSpec("slow"), { kind: "slow", delayMs: 10_000 });
  assert.deepEqual(parseFaultSpec("drip:250"), { kind: "drip", intervalMs: 250 });
  assert.deepEqual(parseFaultSpec("status"), { kind: "status", status: 500 });
  assert.deepEqual(parseFaultSpec("status:401"), { kind: "status", status: 401 });
  assert.deepEqual(parseFaultSpec("garbage:100"), { kind: "garbage", bytes: 100 });
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
    "--start must be an ISO time",
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
