import { HEADER_FIELDS, MEASUREMENT_FIELDS } from "./fields.js";

export const DTDL_MODEL_ID = "dtmi:kostal2mqtt:PikoBridge;1";

/**
 * The semantic types (`Power`, `Energy`, ...) and their units are not DTDL v3 itself but its QuantitativeTypes
 * extension: without this context Microsoft's parser rejects them as undefined terms, and so does every Plug and
 * Play consumer that validates the model (DTDL.quantitativeTypes.v1.md in Azure/opendigitaltwins-dtdl).
 */
export const DTDL_CONTEXT = ["dtmi:dtdl:context;3", "dtmi:dtdl:extension:quantitativeTypes;1"] as const;

/** The header as telemetry: a string header with an enum (the status) is a DTDL Enum of its values. */
function headerTelemetry(field: (typeof HEADER_FIELDS)[number]): Record<string, unknown> {
  const schema =
    field.dtdl === "string" && "enum" in field.schema
      ? {
          "@type": "Enum",
          valueSchema: "string",
          enumValues: field.schema.enum.map((value) => ({ name: value, enumValue: value })),
        }
      : field.dtdl;
  return { "@type": "Telemetry", name: field.key, schema };
}

/**
 * The read-only reported properties (controllers/twinReports.ts). `state` stays a string: the module and the twin glue add
 * states (e.g. `disabled`) that are no reading status, and an Enum would turn each new one into a model violation.
 * Fields a report leaves null are absent in the twin (a reported null deletes the key), which DTDL allows.
 */
const READ_ONLY_PROPERTIES = [
  {
    "@type": "Property",
    name: "module",
    description: "The module's version, start time and state",
    schema: {
      "@type": "Object",
      fields: [
        { name: "version", schema: "string" },
        { name: "startedAt", schema: "dateTime" },
        { name: "state", schema: "string" },
        { name: "message", schema: "string" },
      ],
    },
  },
  {
    "@type": "Property",
    name: "inverterState",
    description: "Each inverter's state, since when, and the time of its last reading",
    schema: {
      "@type": "Map",
      mapKey: { name: "inverterId", schema: "string" },
      mapValue: {
        name: "inverterReport",
        schema: {
          "@type": "Object",
          fields: [
            { name: "model", schema: "string" },
            { name: "name", schema: "string" },
            { name: "state", schema: "string" },
            { name: "since", schema: "dateTime" },
            { name: "lastReading", schema: "dateTime" },
          ],
        },
      },
    },
  },
];

/**
 * The module's DTDL v3 interface, announced as the Plug and Play model id: the reading's fields as telemetry
 * (generated from the field table), the writable and reported twin properties and the direct methods.
 */
export function dtdlModel(): Record<string, unknown> {
  const telemetry = [
    ...HEADER_FIELDS.map(headerTelemetry),
    ...MEASUREMENT_FIELDS.map((field) => ({
      // A quantity the QuantitativeTypes extension has no type for is plain double telemetry, without a unit.
      "@type": field.dtdl ? ["Telemetry", field.dtdl.semantic] : "Telemetry",
      name: field.key,
      description: field.description,
      schema: "double",
      ...(field.dtdl && { unit: field.dtdl.unit }),
    })),
  ];
  return {
    "@context": [...DTDL_CONTEXT],
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
                // auto, html, dxs or mpplus (config/inverterSettings.ts checks it)
                { name: "protocol", schema: "string" },
                { name: "mirrorPort", schema: "integer" },
                { name: "rs485Address", schema: "integer" },
              ],
            },
          },
        },
      },
      ...READ_ONLY_PROPERTIES,
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
