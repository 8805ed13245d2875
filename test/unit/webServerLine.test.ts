import assert from "node:assert/strict";
import { test } from "node:test";
import { checkShownAddress } from "../../modules/kostal2mqtt/src/piko/busAddress.js";
import { PageFormat } from "../../modules/kostal2mqtt/src/piko/errors.js";
import { WebServerLine, WebServerLines } from "../../modules/kostal2mqtt/src/piko/webServerLine.js";
import { settle } from "../support/runtimeHarness.js";

/** Issue 12, RS485 buses: inverters read through one web server take turns, and a page is checked for its address. */

/** An exchange that ends when the test says so. */
function pending<T>() {
  let finish!: (value: T) => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<T>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return { promise, finish, fail };
}

test("a second exchange on a line waits until the first has settled, answered or failed", async () => {
  const line = new WebServerLine("10.0.0.5");
  const first = pending<string>();
  const second = pending<string>();
  const started: string[] = [];
  const one = line.take(() => {
    started.push("one");
    return first.promise;
  });
  const two = line.take(() => {
    started.push("two");
    return second.promise;
  });
  const three = line.take(() => {
    started.push("three");
    return Promise.resolve("c");
  });
  await settle();
  assert.deepEqual(started, ["one"], "the second waits for its turn");
  first.fail(new Error("timed out"));
  await assert.rejects(one, /timed out/, "the first's failure is its own");
  await settle();
  assert.deepEqual(started, ["one", "two"], "a failed exchange gives the turn on");
  second.finish("b");
  assert.equal(await two, "b");
  assert.equal(await three, "c");
  assert.deepEqual(started, ["one", "two", "three"]);
  line.close();
});

test("inverters on the same host:port share one line, other hosts have their own; the last holder closes it", async () => {
  const lines = new WebServerLines();
  const roof = lines.acquire("10.0.0.5:80");
  const garage = lines.acquire("10.0.0.5:80");
  const barn = lines.acquire("10.0.0.6:80");
  assert.equal(roof, garage);
  assert.notEqual(roof, barn);
  const held = pending<void>();
  void roof.take(() => held.promise);
  let barnRan = false;
  await barn.take(() => {
    barnRan = true;
    return Promise.resolve();
  });
  assert.ok(barnRan, "another web server never waits for this one");
  held.finish();
  lines.release(roof);
  const again = lines.acquire("10.0.0.5:80");
  assert.equal(again, garage, "garage still holds the line: it stays open");
  lines.release(again);
  lines.release(garage);
  lines.release(barn);
  const fresh = lines.acquire("10.0.0.5:80");
  assert.notEqual(fresh, roof, "a closed line is not handed out again");
  lines.release(roof);
  assert.equal(lines.acquire("10.0.0.5:80"), fresh, "letting go of a closed line twice changes nothing");
});

test("a page showing another bus address than the one asked for is a PageFormat error naming both", () => {
  assert.doesNotThrow(() => checkShownAddress({ name: "garage", rs485Address: 2 }, 2, "10.0.0.5"));
  assert.throws(
    () => checkShownAddress({ name: "haus", rs485Address: 255 }, 2, "10.0.0.5"),
    (error: unknown) =>
      error instanceof PageFormat &&
      error.message ===
        "asked the web server at 10.0.0.5 for RS485 address 2, found the page of address 255 ('haus')",
  );
});
