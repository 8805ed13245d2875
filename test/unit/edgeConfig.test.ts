import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { edgeConnection } from "../../modules/kostal2mqtt/src/config/edgeSchema.js";
import {
  configSettings,
  loadConfig,
  redactedConfig,
} from "../../modules/kostal2mqtt/src/config/loadConfig.js";
import { isEdgeEnvironment } from "../../modules/kostal2mqtt/src/outputs/edgeHub/moduleClientFactory.js";
import { configProblems } from "../support/configProblems.js";

/**
 * The IoT Edge variables (edgeAgent's IOTEDGE_*, a connection string for simulators, the CA file) enter through
 * the one schema: documented, checked at start with every other problem, the connection string kept secret.
 */

const KEY = "c2VjcmV0LWtleS1jYW5hcnktMTIzNDU2Nzg5MA==";
const CONNECTION_STRING = `HostName=hub.azure-devices.net;GatewayHostName=127.0.0.1:18883;DeviceId=gw;ModuleId=kostal2mqtt;SharedAccessKey=${KEY}`;

/** What edgeAgent gives a module (iot-edge.md), and what the SDK needs all of. */
const EDGE_AGENT = {
  IOTEDGE_WORKLOADURI: "unix:///var/run/iotedge/workload.sock",
  IOTEDGE_DEVICEID: "gateway-1",
  IOTEDGE_MODULEID: "kostal2mqtt",
  IOTEDGE_IOTHUBHOSTNAME: "myhub.azure-devices.net",
  IOTEDGE_AUTHSCHEME: "sasToken",
  IOTEDGE_MODULEGENERATIONID: "637123456789012345",
  IOTEDGE_GATEWAYHOSTNAME: "edgegateway",
  RuntimeLogLevel: "info",
};

const problemsOf = configProblems;

test("edgeAgent's variables load, and make the process an IoT Edge module", () => {
  const config = loadConfig(EDGE_AGENT);
  assert.equal(config.edge.workloadUri, EDGE_AGENT.IOTEDGE_WORKLOADURI);
  assert.equal(config.edge.moduleId, "kostal2mqtt");
  assert.equal(edgeConnection(config.edge), "workload");
  assert.equal(isEdgeEnvironment(config), true);
  assert.equal(isEdgeEnvironment(loadConfig({})), false);
  for (const name of Object.keys(EDGE_AGENT))
    assert.ok(
      configSettings().some((setting) => setting.env === name),
      `${name} in the schema`,
    );
});

test("a partial IOTEDGE_* set is one problem naming what is missing, listed with every other problem", () => {
  const problems = problemsOf({
    IOTEDGE_MODULEID: "kostal2mqtt",
    IOTEDGE_DEVICEID: "gateway-1",
    IOTEDGE_AUTHSCHEME: "x509",
    SCRAPE_INTERVAL: "1",
  });
  assert.ok(
    problems.some((line) => line.startsWith("IOTEDGE_AUTHSCHEME: must be sasToken")),
    problems.join("\n"),
  );
  assert.ok(
    problems.some((line) =>
      line.startsWith(
        "IOTEDGE_WORKLOADURI, IOTEDGE_IOTHUBHOSTNAME, IOTEDGE_MODULEGENERATIONID: missing; IoT Edge's variables come as a set",
      ),
    ),
    problems.join("\n"),
  );
  assert.ok(problems.some((line) => line.startsWith("SCRAPE_INTERVAL:")));
  assert.ok(
    problemsOf({ ...EDGE_AGENT, IOTEDGE_WORKLOADURI: "not a url" })[0]?.startsWith("IOTEDGE_WORKLOADURI:"),
  );
});

test("a connection string wins over IOTEDGE_*, as in the SDK; an empty one is not set", () => {
  assert.equal(
    edgeConnection(loadConfig({ EdgeHubConnectionString: CONNECTION_STRING }).edge),
    "connection-string",
  );
  assert.equal(
    edgeConnection(loadConfig({ IotHubConnectionString: CONNECTION_STRING, IOTEDGE_MODULEID: "x" }).edge),
    "connection-string",
    "the SDK ignores IOTEDGE_* then: so does the completeness check",
  );
  const blank = { EdgeHubConnectionString: "", IOTEDGE_MODULEID: " ", EdgeModuleCACertificateFile: "" };
  assert.equal(isEdgeEnvironment(loadConfig(blank)), false);
  assert.equal(isEdgeEnvironment(loadConfig({ EdgeHubConnectionString: CONNECTION_STRING })), true);
});

test("the connection string is secret: checked without being quoted, redacted everywhere", () => {
  const broken = CONNECTION_STRING.replace(/;SharedAccessKey=.*/, `;SharedAccessKy=${KEY}`);
  const problems = problemsOf({ EdgeHubConnectionString: broken, LOG_LEVEL: "loud" });
  assert.ok(
    problems.includes("EdgeHubConnectionString: a module connection string needs SharedAccessKey"),
    problems.join("\n"),
  );
  assert.ok(
    problems.some((line) => line.startsWith("LOG_LEVEL:")),
    "every problem at once",
  );
  assert.ok(!problems.join("\n").includes(KEY), problems.join("\n"));
  const shown = redactedConfig(loadConfig({ EdgeHubConnectionString: CONNECTION_STRING }));
  assert.equal(shown.EdgeHubConnectionString, "[redacted]");
  assert.ok(!JSON.stringify(shown).includes(KEY));
  assert.ok(
    configSettings()
      .filter((setting) => setting.env.endsWith("ConnectionString"))
      .every((setting) => setting.sensitive && !setting.fromFile),
  );
});

test("a connection string is not read from <NAME>_FILE: the SDK would not see it", () => {
  const dir = mkdtempSync(join(tmpdir(), "k2m-edge-"));
  writeFileSync(join(dir, "cs"), CONNECTION_STRING);
  const config = loadConfig({ EdgeHubConnectionString_FILE: join(dir, "cs") });
  assert.equal(config.edge.edgeHubConnectionString, "");
  assert.equal(isEdgeEnvironment(config), false);
});

test("EdgeModuleCACertificateFile is a setting, its file still checked at start", () => {
  const dir = mkdtempSync(join(tmpdir(), "k2m-edge-ca-"));
  const ca = join(dir, "ca.pem");
  writeFileSync(ca, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  assert.equal(loadConfig({ EdgeModuleCACertificateFile: ca }).edge.caCertificateFile, ca);
  assert.deepEqual(problemsOf({ EdgeModuleCACertificateFile: join(dir, "missing.pem") }), [
    `EdgeModuleCACertificateFile: cannot read ${join(dir, "missing.pem")} (ENOENT)`,
  ]);
});
