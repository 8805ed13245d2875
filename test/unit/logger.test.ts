import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger, Redactor } from "../../modules/kostal2mqtt/src/log/logger.js";

test("lines have the edgeAgent format, levels filter, debug is lazy", () => {
  const lines: string[] = [];
  const log = createLogger({
    level: "info",
    write: (l) => lines.push(l),
    now: () => Date.UTC(2026, 10, 24, 10, 15, 35, 243),
  });
  let evaluated = false;
  log.debug(() => {
    evaluated = true;
    return "expensive";
  });
  log.child("poller").info("started");
  log
    .child("poller")
    .child("dach")
    .warn("slow", new Error("outer", { cause: new Error("inner") }));
  assert.equal(evaluated, false);
  assert.deepEqual(lines, [
    "<6> 2026-11-24 10:15:35.243 +00:00 [INF] - poller: started",
    "<4> 2026-11-24 10:15:35.243 +00:00 [WRN] - poller.dach: slow: outer (inner)",
  ]);
});

test("no secret is ever written, in messages, errors or stacks", () => {
  const lines: string[] = [];
  const redactor = new Redactor();
  redactor.add("canary-pass");
  redactor.add(undefined);
  const log = createLogger({ level: "debug", write: (l) => lines.push(l), redactor });
  log.error("connect with canary-pass failed", new Error("auth canary-pass\nrejected"));
  assert.equal(lines.length, 2, "message line and stack line");
  for (const line of lines) {
    assert.ok(!line.includes("canary-pass"), line);
    assert.ok(!line.includes("\n"), "one line per entry");
  }
  assert.match(lines[0]!, /connect with \[redacted\] failed: auth \[redacted\] rejected/);
});
