import { MEASUREMENT_FIELDS } from "../../reading/fields.js";
import type { Reading } from "../../reading/reading.js";
import { INVERTER_STATUSES } from "../../reading/status.js";
import { VERSION } from "../../version.js";
import { safeLevel, type MqttTopics } from "./mqttTopics.js";

/**
 * The entity id Home Assistant should give a new sensor. Since HA 2026.4 only `default_entity_id` sets it
 * (`object_id` is dropped), and HA takes the part after the first `.` as the object id, so the platform prefix is
 * required; HA's entity ids are `[a-z0-9_]` with no `__` and no `_` at either end (core.py VALID_ENTITY_ID).
 */
function defaultEntityId(platform: string, objectId: string): string {
  const slug = objectId
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return `${platform}.${slug}`;
}

/**
 * Home Assistant device-based discovery for one inverter: one sensor per field its readings carry, generated from
 * the field table (unit, device_class, state_class, display precision: all from reading/fields.ts), unique ids,
 * availability from the bridge and the inverter topics (both must be online), and the origin. The status sensor is
 * an enum whose options are every status a reading can carry: HA ignores a state that is not one of them.
 */
export function discoveryPayload(topics: MqttTopics, reading: Reading): string {
  const id = safeLevel(reading.inverter);
  const device = `kostal2mqtt_${id}`;
  const components: Record<string, Record<string, unknown>> = {};
  for (const field of MEASUREMENT_FIELDS) {
    if (reading[field.key] === undefined) continue;
    components[`${id}_${field.key}`] = {
      p: "sensor",
      name: field.description,
      unique_id: `${device}_${field.key}`,
      default_entity_id: defaultEntityId("sensor", `${device}_${field.key}`),
      value_template: `{{ value_json.${field.key} }}`,
      unit_of_measurement: field.homeAssistant.unit,
      device_class: field.homeAssistant.deviceClass,
      state_class: field.homeAssistant.stateClass,
      suggested_display_precision: field.homeAssistant.displayPrecision,
    };
  }
  components[`${id}_status`] = {
    p: "sensor",
    name: "Status",
    unique_id: `${device}_status`,
    default_entity_id: defaultEntityId("sensor", `${device}_status`),
    value_template: "{{ value_json.status }}",
    device_class: "enum",
    options: [...INVERTER_STATUSES],
    icon: "mdi:solar-power",
  };
  return JSON.stringify({
    dev: {
      ids: [device],
      name: reading.name === "" ? `PIKO ${reading.inverter}` : reading.name,
      mf: "KOSTAL",
      mdl: reading.model,
    },
    o: { name: "kostal2mqtt", sw: VERSION },
    cmps: components,
    state_topic: topics.state(reading.inverter),
    availability: [
      { topic: topics.bridgeStateDefault, payload_available: "online", payload_not_available: "offline" },
      {
        topic: topics.availability(reading.inverter),
        payload_available: "online",
        payload_not_available: "offline",
      },
    ],
    availability_mode: "all",
    qos: 1,
  });
}
