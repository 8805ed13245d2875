import type { Schema } from "convict";
import { LOG_LEVELS, type LogLevel } from "../log/logger.js";
import { INVERTER_BACKOFF } from "./defaults.js";
import { EDGE_SCHEMA, type EdgeConfig } from "./edgeSchema.js";
import {
  inverterId,
  ipAddress,
  jsonText,
  numberBetween,
  optional,
  optionalCoordinate,
  printableText,
  publishTopic,
} from "./formats.js";
import type { ProtocolSetting } from "../piko/protocolProbe.js";
import { INVERTER_ENTRY, redactedInverterMap } from "./inverterSettings.js";

export type { EdgeConfig } from "./edgeSchema.js";

/**
 * The one configuration schema: every setting with its doc, format, default and environment variable (the
 * original kostal2mqtt script's names where it had one). Sensitive settings are redacted by convict and may also
 * come from `<NAME>_FILE` (a mounted secret). Validators never echo a value of a sensitive setting.
 *
 * Two fields of our own on an entry: `live: true` for a setting the module twin changes without a restart (its
 * desired property is named by `twin`, and its value is checked by the same `format`); every other setting takes
 * effect at the next start. `noFile: true` keeps a secret from being read from `<NAME>_FILE`. `shown` is how a
 * configuration dump shows a sensitive value that is more than a secret (only its secrets redacted).
 */
export interface AppConfig {
  kostal: {
    host: string;
    id: string;
    username: string;
    password: string;
    protocol: ProtocolSetting;
    /** JSON text of the `inverters` map (checked entry by entry in envSettings.ts), or empty. */
    inverters: string;
    timeoutSeconds: number;
    mirrorPort: number;
  };
  scrapeIntervalSeconds: number;
  logLevel: LogLevel;
  mqtt: MqttConfig;
  site: SiteConfig;
  health: HealthConfig;
  mirror: MirrorConfig;
  edge: EdgeConfig;
}

export interface MirrorConfig {
  bind: string;
}

export interface HealthConfig {
  port: number;
  bind: string;
}

export interface SiteConfig {
  dataDir: string;
  latitude: string;
  longitude: string;
  zeroOnSleep: boolean;
  historyBackfill: boolean;
  totalDropReadings: number;
  retryMaxSeconds: number;
  authRetrySeconds: number;
}

export interface MqttConfig {
  host: string;
  port: number;
  topic: string;
  username: string;
  password: string;
  clientId: string;
  keepaliveSeconds: number;
  will: string;
  tls: boolean;
  caFile: string;
  certFile: string;
  keyFile: string;
  tlsInsecure: boolean;
  perValueTopics: boolean;
  payloadFormat: "json" | "legacy" | "both";
  discovery: boolean;
  discoveryPrefix: string;
  messageExpirySeconds: number;
}

export const CONFIG_SCHEMA: Schema<AppConfig> = {
  kostal: {
    host: {
      doc: "The inverter: host, host:port or http://host:port (empty: no inverter configured yet)",
      format: optional(INVERTER_ENTRY.host.format),
      default: "",
      env: "KOSTAL_HOST",
      live: true,
      twin: "inverters.<id>.host",
    },
    id: {
      doc: "The inverter id in readings and topics ([a-z0-9_-]); empty: made from the host",
      format: optional(inverterId),
      default: "",
      env: "KOSTAL_ID",
      live: true,
      twin: "inverters.<id>",
    },
    username: {
      doc: "The inverter's web user (the PIKO's default is pvserver)",
      format: INVERTER_ENTRY.username.format,
      default: INVERTER_ENTRY.username.default,
      env: "KOSTAL_USERNAME",
      live: true,
      twin: "inverters.<id>.username",
    },
    password: {
      doc: "The inverter's web password (the PIKO's default is pvwr); or KOSTAL_PASSWORD_FILE",
      format: INVERTER_ENTRY.password.format,
      default: INVERTER_ENTRY.password.default,
      env: "KOSTAL_PASSWORD",
      sensitive: true,
      live: true,
      twin: "inverters.<id>.password",
    },
    protocol: {
      doc: "The interface the inverter speaks: auto (found out at the first poll, and again after a firmware update changed it), html (the old status page), dxs (web UI 6 and later, PIKO BA) or mpplus (PIKO MP plus)",
      format: INVERTER_ENTRY.protocol.format,
      default: INVERTER_ENTRY.protocol.default,
      env: "KOSTAL_PROTOCOL",
      live: true,
      twin: "inverters.<id>.protocol",
    },
    inverters: {
      doc: 'Several inverters: a JSON object like the twin\'s `inverters`, e.g. {"roof":{"host":"10.0.0.5"},"garage":{"host":"10.0.0.6","rs485Address":2}}; instead of KOSTAL_HOST; or KOSTAL_INVERTERS_FILE',
      format: optional(
        jsonText(`an object mapping inverter ids to {${Object.keys(INVERTER_ENTRY).join(", ")}}`),
      ),
      default: "",
      env: "KOSTAL_INVERTERS",
      // Entries may hold passwords: redacted whole in errors, their passwords in dumps; may come from a mounted file.
      sensitive: true,
      shown: redactedInverterMap,
      live: true,
      twin: "inverters",
    },
    timeoutSeconds: {
      doc: "Seconds the inverter has to answer a request, body included",
      format: numberBetween(0.5, 60, false),
      default: 5,
      env: "KOSTAL_TIMEOUT",
    },
    mirrorPort: {
      doc: "Port serving the inverter's last reading as /index.fhtml and /api/dxs.json, so that other tools read it instead of the inverter; 0 turns it off",
      format: INVERTER_ENTRY.mirrorPort.format,
      default: 0,
      env: "KOSTAL_MIRROR_PORT",
      live: true,
      twin: "inverters.<id>.mirrorPort",
    },
  },
  scrapeIntervalSeconds: {
    doc: "Seconds between two polls of an inverter (at least 2: faster polling knocks PIKO web servers over)",
    format: numberBetween(2, 3600, true),
    default: 10,
    env: "SCRAPE_INTERVAL",
    live: true,
    twin: "pollIntervalSeconds",
  },
  mqtt: {
    host: {
      doc: "The MQTT broker's host; the MQTT output is on when it is set",
      format: printableText(255),
      default: "",
      env: "MQTT_HOST",
    },
    port: {
      doc: "The broker's port",
      format: numberBetween(1, 65535, true),
      default: 1883,
      env: "MQTT_PORT",
    },
    topic: { doc: "Base topic", format: publishTopic(false), default: "KOSTAL", env: "MQTT_TOPIC" },
    username: {
      doc: "Broker user (optional)",
      format: printableText(128),
      default: "",
      env: "MQTT_USERNAME",
    },
    password: {
      doc: "Broker password (optional; or MQTT_PASSWORD_FILE)",
      format: printableText(256),
      default: "",
      env: "MQTT_PASSWORD",
      sensitive: true,
    },
    clientId: {
      doc: "MQTT client id (default kostal2mqtt-<host name>-<6 hex>, the suffix kept in the data folder: two instances never share one)",
      format: printableText(128),
      default: "",
      env: "MQTT_CLIENT_ID",
    },
    keepaliveSeconds: {
      doc: "MQTT keepalive in seconds",
      format: numberBetween(5, 3600, true),
      default: 60,
      env: "MQTT_KEEPALIVE",
    },
    will: {
      doc: "Topic of the last will (offline); default <base>/bridge/state",
      format: publishTopic(true),
      default: "",
      env: "MQTT_WILL",
    },
    tls: { doc: "Connect with TLS (mqtts)", format: "flag", default: false, env: "MQTT_TLS" },
    caFile: {
      doc: "CA certificate file (PEM) to check the broker with",
      format: String,
      default: "",
      env: "MQTT_CA_FILE",
    },
    certFile: {
      doc: "Client certificate file (PEM), optional",
      format: String,
      default: "",
      env: "MQTT_CERT_FILE",
    },
    keyFile: { doc: "Client key file (PEM), optional", format: String, default: "", env: "MQTT_KEY_FILE" },
    tlsInsecure: {
      doc: "Do not check the broker's certificate (only for testing)",
      format: "flag",
      default: false,
      env: "MQTT_TLS_INSECURE",
    },
    perValueTopics: {
      doc: "Also publish each value on <base>/<id>/<field>",
      format: "flag",
      default: false,
      env: "MQTT_PER_VALUE_TOPICS",
    },
    payloadFormat: {
      doc: "json (the reading), legacy (the original script's nested document on <base>) or both",
      format: ["json", "legacy", "both"],
      default: "json",
      env: "MQTT_PAYLOAD_FORMAT",
    },
    discovery: { doc: "Home Assistant MQTT discovery", format: "flag", default: true, env: "HA_DISCOVERY" },
    discoveryPrefix: {
      doc: "Home Assistant discovery prefix",
      format: publishTopic(false),
      default: "homeassistant",
      env: "HA_DISCOVERY_PREFIX",
    },
    messageExpirySeconds: {
      doc: "MQTT v5 message expiry of readings (a reading older than this is not delivered as live)",
      format: numberBetween(10, 604800, true),
      default: 86400,
      env: "MQTT_MESSAGE_EXPIRY",
    },
  },
  site: {
    dataDir: {
      doc: "Folder for state that must survive a restart (last totals, queued messages); its parent must exist",
      format: printableText(1024),
      default: "data",
      env: "KOSTAL_DATA_DIR",
    },
    latitude: {
      doc: "The site's latitude: with LONGITUDE, silence between sunset and sunrise is sleep, not a failure",
      format: optionalCoordinate(90),
      default: "",
      env: "LATITUDE",
    },
    longitude: {
      doc: "The site's longitude (see LATITUDE)",
      format: optionalCoordinate(180),
      default: "",
      env: "LONGITUDE",
    },
    zeroOnSleep: {
      doc: "When an inverter goes to sleep, publish one reading with power 0.0 and the totals held",
      format: "flag",
      default: true,
      env: "ZERO_ON_SLEEP",
    },
    historyBackfill: {
      doc: "After a gap in an old PIKO's readings, publish the rows its LogDaten.dat logged meanwhile (history topic / output)",
      format: "flag",
      default: true,
      env: "HISTORY_BACKFILL",
    },
    retryMaxSeconds: {
      doc: "Longest pause between polls of an inverter that is asleep or unreachable (backoff cap)",
      format: numberBetween(2, 3600, true),
      default: INVERTER_BACKOFF.maxMs / 1000,
      env: "RETRY_MAX_SECONDS",
    },
    authRetrySeconds: {
      doc: `First pause after refused credentials (doubling up to ${INVERTER_BACKOFF.authMaxFactor} times as long); wrong logins are never hammered`,
      format: numberBetween(2, 3600, true),
      default: INVERTER_BACKOFF.authStartMs / 1000,
      env: "AUTH_RETRY_SECONDS",
    },
    totalDropReadings: {
      doc: "Readings in a row with a lifetime total below half the last good one before it is taken as a replaced or reset device (a smaller dip is always a glitch)",
      format: numberBetween(1, 1000, true),
      default: 3,
      env: "TOTAL_DROP_READINGS",
    },
  },
  health: {
    port: {
      doc: "Port of the health server (/healthz, /readyz, /metrics, the status page /); 0 turns it off",
      format: numberBetween(0, 65535, true),
      default: 8480,
      env: "HEALTH_PORT",
    },
    bind: {
      doc: "Address the health server listens on (the image sets 0.0.0.0 so the container runtime can reach it)",
      format: ipAddress,
      default: "127.0.0.1",
      env: "HEALTH_BIND",
    },
  },
  mirror: {
    bind: {
      doc: "Address the inverters' mirror ports listen on (KOSTAL_MIRROR_PORT, twin mirrorPort)",
      format: ipAddress,
      default: "127.0.0.1",
      env: "MIRROR_BIND",
    },
  },
  logLevel: {
    doc: `Log level: ${LOG_LEVELS.join(", ")}`,
    format: LOG_LEVELS,
    default: "info",
    env: "LOG_LEVEL",
  },
  edge: EDGE_SCHEMA,
};
