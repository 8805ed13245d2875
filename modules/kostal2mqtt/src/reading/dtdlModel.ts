import { MEASUREMENT_FIELDS } from "./fields.js";
import { INVERTER_STATUSES } from "./status.js";

export const DTDL_MODEL_ID = "dtmi:kostal2mqtt:PikoBridge;1";

/** DTDL units of the field table's units. */
const DTDL_UNITS: Readonly<Record<string, { semantic: string; unit: string }>> = {
  W: { semantic: "Power", unit: "watt" },
  V: { semantic: "Voltage", unit: "volt" },
  A: { semantic: "Current", unit: "ampere" },
  kWh: { semantic: "Energy", unit: "kilowattHour" },
};

const HEADER_TELEMETRY = [
  { name: "schema_version", schema: "integer" },
  { name: "inverter", schema: "string" },
  { name: "model", schema: "string" },
  { name: "name", schema: "string" },
  { name: "rs485_address", schema: "integer" },
  { name: "ts", schema: "dateTime" },
  { name: "ts_ms", schema: "long" },
  {
    name: "status",
    schema: {
      "@type": "Enum",
      valueSchema: "string",
      enumValues: INVERTER_STATUSES.map((status) => ({ name: status, enumValue: status })),
    },
  },
  { name: "status_code", schema: "integer" },
  { name: "status_text", schema: "string" },
];

/**
 * The module's DTDL v3 interface, announced as the Plug and Play model id: the reading's fields as telemetry
 * (generated from the field table), the writable twin properties and the direct methods.
 */
export function dtdlModel(): Record<string, unknown> {
  const telemetry = [
    ...HEADER_TELEMETRY.map((entry) => ({ "@type": "Telemetry", ...entry })),
    ...MEASUREMENT_FIELDS.map((field) => {
      const unit = DTDL_UNITS[field.unit]!;
      return {
        "@type": ["Telemetry", unit.semantic],
        name: field.key,
        description: field.description,
        schema: "double",
        unit: unit.unit,
      };
    }),
  ];
  return {
    "@context": "dtmi:dtdl:context;3",
    "@id": DTDL_MODEL_ID,
    "@type": "Interface",
    displayName: "kostal2mqtt PIKO bridge",
    description: "Live data of KOSTAL PIKO inverters read from their local web page",
    contents: [
      ...telemetry,
      {
        "@type": "Property",
        name: "pollIntervalSeconds",
        description: "Seconds between two polls of an inverter (2 to 3600)",
        schema: "integer",
        writable: true,
      },
      {
        "@type": "Property",
        name: "inverters",
        description: "The inverters to poll, by id; the password is write-only",
        writable: true,
        schema: {
          "@type": "Map",
          mapKey: { name: "inverterId", schema: "string" },
          mapValue: {
            name: "inverter",
            schema: {
              "@type": "Object",
              fields: [
                { name: "host", schema: "string" },
                { name: "username", schema: "string" },
                { name: "password", schema: "string" },
                { name: "enabled", schema: "boolean" },
              ],
            },
          },
        },
      },
      {
        "@type": "Command",
        name: "readNow",
        description: "Polls one inverter (or all) now and returns the readings",
        request: {
          name: "target",
          schema: { "@type": "Object", fields: [{ name: "inverter", schema: "string" }] },
        },
      },
      {
        "@type": "Command",
        name: "getStatus",
        description: "Each inverter's state and each output's connection",
      },
    ],
  };
}
