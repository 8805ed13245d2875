import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger } from "../../modules/kostal2mqtt/src/log/logger.js";
import { ConnectionWatch } from "../../modules/kostal2mqtt/src/outputs/mqtt/connectionWatch.js";

/** The broker's answers to the connection itself, over a fake clock: take-overs, refusals, what it lacks (issue 9). */

function watched() {
  const lines: string[] = [];
  let now = 0;
  const watch = new ConnectionWatch(
    createLogger({ level: "debug", write: (line) => lines.push(line) }),
    "broker:1883",
    "kostal2mqtt-host-abcdef",
    () => now,
  );
  const problems = () => lines.filter((line) => /\[(WRN|ERR)\]/.test(line));
  /** A connection that lasts `ms` and then ends without a word (no DISCONNECT, no socket error). */
  const connection = (ms: number, reason?: number) => {
    watch.onAttempt();
    watch.onConnect(undefined);
    now += ms;
    if (reason !== undefined) watch.onDisconnectPacket(reason);
    return watch.onClose(false, false) ?? Number.NaN;
  };
  return { watch, lines, problems, connection, advance: (ms: number) => (now += ms) };
}

function refusal(code: number): Error & { code: number } {
  return Object.assign(new Error(`Connection refused: ${code}`), { code });
}

test("a take-over: the first short connection is a loss, the second is diagnosed once, then backoff", () => {
  const { lines, problems, connection } = watched();
  const first = connection(1000);
  assert.ok(first >= 800 && first <= 1200, String(first));
  assert.equal(problems().length, 1);
  assert.match(problems()[0]!, /lost/);
  const second = connection(1000);
  assert.ok(second >= 1600 && second <= 2400, `backing off: ${second}`);
  assert.equal(problems().length, 2);
  assert.match(problems()[1]!, /\[ERR\].*another client with this id \(kostal2mqtt-host-abcdef\)/);
  const delays = [connection(1000), connection(1000), connection(1000)];
  assert.ok(delays[2]! > delays[0]! && delays[2]! >= 6400, `exponential: ${delays.join(", ")}`);
  assert.equal(problems().length, 2, "no more warnings once diagnosed");
  assert.equal(
    lines.filter((line) => /\[INF\].*connected/.test(line)).length,
    2,
    "reconnects at debug level",
  );
});

test("MQTT 5 DISCONNECT 0x8E names the take-over at the first kick", () => {
  const { problems, connection } = watched();
  connection(1000, 0x8e);
  assert.match(problems()[0]!, /session taken over/);
  connection(1000, 0x8e);
  assert.match(problems()[1]!, /\[ERR\].*twice in a row/);
});

test("a broker that restarts is no take-over: a failed attempt or a long connection ends the run", () => {
  const { watch, problems, connection } = watched();
  connection(1000);
  watch.onAttempt();
  assert.equal(
    watch.onError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })),
    null,
  );
  assert.ok((watch.onClose(false, false) ?? 0) > 0);
  connection(1000);
  connection(120_000);
  connection(1000);
  assert.deepEqual(
    problems().filter((line) => /another client/.test(line)),
    [],
    problems().join("\n"),
  );
  const inFlight = watched();
  inFlight.watch.onAttempt();
  inFlight.watch.onConnect(undefined);
  inFlight.advance(1000);
  inFlight.watch.onClose(false, true);
  inFlight.watch.onAttempt();
  inFlight.watch.onConnect(undefined);
  inFlight.advance(1000);
  inFlight.watch.onClose(false, true);
  assert.equal(
    inFlight.problems().filter((line) => /another client/.test(line)).length,
    0,
    "a message it hangs up on",
  );
});

test("MQTT 5 CONNACK 0x9A/0x9B: what the broker lacks is given up at once and said once", () => {
  const { watch, problems } = watched();
  assert.equal(watch.onError(refusal(0x9a)), 100);
  assert.equal(watch.onClose(false, false), null, "the refusal decided the delay already");
  assert.equal(watch.offer.retain, false);
  watch.onAttempt();
  assert.equal(watch.onError(refusal(0x9b)), 100);
  watch.onClose(false, false);
  assert.equal(watch.offer.maxQos, 0);
  watch.onAttempt();
  watch.onConnect({ maximumQoS: 0, retainAvailable: false });
  assert.equal(problems().length, 2);
  assert.match(problems()[0]!, /no retained messages.*Home Assistant/);
  assert.match(problems()[1]!, /no QoS 1/);
});

test("CONNACK properties narrow the offer: maximum QoS, retain, packet size, receive maximum", () => {
  const { watch, problems } = watched();
  watch.onConnect({ retainAvailable: false, maximumPacketSize: 4096, receiveMaximum: 20 });
  assert.deepEqual(watch.offer, { maxQos: 1, retain: false, maxPacketSize: 4096, receiveMaximum: 20 });
  assert.equal(problems().length, 1);
});

test("MQTT 3.1.1: closed twice after CONNECT without an answer, the next attempt asks for QoS 0 and no retain", () => {
  const { watch, problems } = watched();
  assert.equal(watch.onError(refusal(0x84)), 100, "no MQTT 5: 3.1.1 at once");
  watch.onClose(false, false);
  assert.equal(watch.protocolVersion, 4);
  watch.onAttempt();
  assert.ok((watch.onClose(false, false) ?? 0) >= 800, "once is no proof");
  watch.onAttempt();
  assert.equal(watch.onClose(false, false), 100);
  assert.equal(watch.offer.maxQos, 0);
  assert.equal(watch.offer.retain, false);
  assert.equal(problems().length, 1);
  assert.match(problems()[0]!, /without an answer.*Home Assistant/);
});

test("refused credentials: one error line, retried slowly", () => {
  const { watch, problems } = watched();
  for (let i = 0; i < 3; i++) {
    watch.onAttempt();
    const delay = watch.onError(refusal(135));
    assert.ok((delay ?? 0) >= 60_000, String(delay));
    watch.onClose(false, false);
  }
  assert.equal(problems().length, 1);
  assert.match(problems()[0]!, /credentials/);
});
