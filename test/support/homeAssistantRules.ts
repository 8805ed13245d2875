/*
 * Home Assistant's rules for a device discovery of sensors, written from home-assistant/core:
 *   homeassistant/components/mqtt/discovery.py   TOPIC_MATCHER; abbreviations expanded at the root, in `device`,
 *                                                `origin` and each availability entry
 *   homeassistant/components/mqtt/abbreviations.py  the short keys (the entries below)
 *   homeassistant/components/mqtt/schemas.py     DEVICE_DISCOVERY_SCHEMA (no extra root keys; device, origin and
 *                                                components required; each component's platform one of
 *                                                SUPPORTED_COMPONENTS), MQTT_ENTITY_DEVICE_INFO_SCHEMA (at least one
 *                                                identifier), MQTT_ORIGIN_INFO_SCHEMA (name required),
 *                                                MQTT_AVAILABILITY_SCHEMA, SHARED_OPTIONS, MQTT_ENTITY_COMMON_SCHEMA
 *   homeassistant/components/mqtt/const.py       CONF_DEFAULT_ENTITY_ID = "default_entity_id", AVAILABILITY_MODES
 *   homeassistant/components/mqtt/config.py      MQTT_RO_SCHEMA: state_topic required
 *   homeassistant/components/mqtt/sensor.py      the sensor keys; DISCOVERY_SCHEMA drops unknown keys silently
 *                                                (extra=REMOVE_EXTRA); validate_sensor_state_and_device_class_config:
 *                                                `options` non-empty, only with device_class enum, never with
 *                                                state_class or unit_of_measurement; a state not in options is ignored
 *   homeassistant/components/mqtt/entity.py      `default_entity_id.partition(".")`: the platform prefix is required
 *   homeassistant/core.py                        VALID_ENTITY_ID
 * `object_id` left MQTT_ENTITY_COMMON_SCHEMA in HA 2026.4 (deprecated by home-assistant/core#151775 with the
 * warning "Replace `"object_id": "x"` with `"default_entity_id": "sensor.x"`"): from then on the sensor schema
 * drops it like any unknown key. Unique ids and device identifiers use [a-zA-Z0-9_-] (the project's consumer
 * contract, consumers.md).
 */

export const ABBREVIATIONS: Readonly<Record<string, string>> = {
  avty: "availability",
  avty_mode: "availability_mode",
  avty_t: "availability_topic",
  avty_tpl: "availability_template",
  cmps: "components",
  def_ent_id: "default_entity_id",
  dev: "device",
  dev_cla: "device_class",
  e: "encoding",
  en: "enabled_by_default",
  ent_cat: "entity_category",
  exp_aft: "expire_after",
  frc_upd: "force_update",
  ic: "icon",
  json_attr_t: "json_attributes_topic",
  json_attr_tpl: "json_attributes_template",
  lrst_val_tpl: "last_reset_value_template",
  o: "origin",
  obj_id: "object_id",
  ops: "options",
  p: "platform",
  pl_avail: "payload_available",
  pl_not_avail: "payload_not_available",
  stat_cla: "state_class",
  stat_t: "state_topic",
  t: "topic",
  uniq_id: "unique_id",
  unit_of_meas: "unit_of_measurement",
  val_tpl: "value_template",
};
const DEVICE_ABBREVIATIONS: Readonly<Record<string, string>> = {
  cns: "connections",
  cu: "configuration_url",
  hw: "hw_version",
  ids: "identifiers",
  mdl: "model",
  mf: "manufacturer",
  sa: "suggested_area",
  sn: "serial_number",
  sw: "sw_version",
};
const ORIGIN_ABBREVIATIONS: Readonly<Record<string, string>> = { sw: "sw_version", url: "support_url" };

const AVAILABILITY_KEYS = [
  "availability",
  "availability_mode",
  "availability_template",
  "availability_topic",
  "payload_available",
  "payload_not_available",
];
const SHARED_OPTIONS = [...AVAILABILITY_KEYS, "command_topic", "state_topic"];
const ROOT_KEYS = new Set([...SHARED_OPTIONS, "device", "origin", "components", "qos", "encoding"]);
const DEVICE_KEYS = new Set([
  "identifiers",
  "connections",
  "manufacturer",
  "model",
  "model_id",
  "name",
  "hw_version",
  "serial_number",
  "sw_version",
  "via_device",
  "suggested_area",
  "configuration_url",
]);
const ORIGIN_KEYS = new Set(["name", "sw_version", "support_url"]);
const AVAILABILITY_ENTRY_KEYS = new Set([
  "topic",
  "payload_available",
  "payload_not_available",
  "value_template",
]);
const AVAILABILITY_MODES = ["all", "any", "latest"];
const SUPPORTED_COMPONENTS = new Set(
  [
    "alarm_control_panel binary_sensor button camera climate cover date datetime device_automation",
    "device_tracker event fan humidifier image infrared lawn_mower light lock notify number scene siren",
    "select sensor switch tag text time update vacuum valve water_heater",
  ]
    .join(" ")
    .split(" "),
);
const ENTITY_COMMON_KEYS = [
  ...AVAILABILITY_KEYS,
  "device",
  "origin",
  "enabled_by_default",
  "entity_category",
  "entity_picture",
  "icon",
  "json_attributes_topic",
  "json_attributes_template",
  "default_entity_id",
  "unique_id",
];
const SENSOR_KEYS = new Set([
  "platform",
  ...["qos", "encoding", "group"],
  ...["state_topic", "value_template"],
  ...["device_class", "expire_after", "force_update", "last_reset_value_template", "name", "options"],
  ...["suggested_display_precision", "state_class", "unit_of_measurement"],
  ...ENTITY_COMMON_KEYS,
]);
const STATE_CLASSES = ["measurement", "measurement_angle", "total", "total_increasing"];
const TOPIC_MATCHER = /^(\w+)\/(?:([a-zA-Z0-9_-]+)\/)?([a-zA-Z0-9_-]+)\/config$/;
const VALID_ENTITY_ID = /^(?!.+__)(?!_)[\da-z_]+(?<!_)\.(?!_)[\da-z_]+(?<!_)$/;
const ID = /^[a-zA-Z0-9_-]+$/;

export type Doc = Record<string, unknown>;
export const isObject = (value: unknown): value is Doc =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export function expand(doc: Doc, table: Readonly<Record<string, string>>): Doc {
  const result = { ...doc };
  for (const [short, long] of Object.entries(table)) {
    if (!(short in doc) || short === long) continue;
    result[long] = doc[short];
    delete result[short];
  }
  return result;
}

function unknownKeys(doc: Doc, allowed: ReadonlySet<string>, where: string): string[] {
  return Object.keys(doc)
    .filter((key) => !allowed.has(key))
    .map((key) => `${where}: unknown key ${key}`);
}

/** Everything Home Assistant would refuse, drop or ignore in a device discovery message; [] when it takes it all. */
export function discoveryProblems(prefix: string, topic: string, payload: string): string[] {
  const problems: string[] = [];
  const match = topic.startsWith(`${prefix}/`) ? TOPIC_MATCHER.exec(topic.slice(prefix.length + 1)) : null;
  if (match?.[1] !== "device") problems.push(`topic ${topic} is no device discovery topic`);
  const parsed: unknown = JSON.parse(payload);
  if (!isObject(parsed)) return [...problems, "the payload is no JSON object"];
  const root = expand(parsed, ABBREVIATIONS);
  problems.push(...unknownKeys(root, ROOT_KEYS, "root"));

  const device = isObject(root.device) ? expand(root.device, DEVICE_ABBREVIATIONS) : undefined;
  if (device === undefined) problems.push("device: required");
  else {
    problems.push(...unknownKeys(device, DEVICE_KEYS, "device"));
    const ids = [device.identifiers ?? []].flat();
    if (ids.length === 0 && [device.connections ?? []].flat().length === 0)
      problems.push("device: needs at least one identifier or connection");
    for (const id of ids)
      if (typeof id !== "string" || !ID.test(id)) problems.push(`device: identifier ${JSON.stringify(id)}`);
  }
  const origin = isObject(root.origin) ? expand(root.origin, ORIGIN_ABBREVIATIONS) : undefined;
  if (origin === undefined) problems.push("origin: required");
  else {
    problems.push(...unknownKeys(origin, ORIGIN_KEYS, "origin"));
    if (typeof origin.name !== "string") problems.push("origin: name required");
  }
  if (root.availability !== undefined) {
    if (root.availability_topic !== undefined)
      problems.push("availability and availability_topic exclude each other");
    for (const raw of [root.availability].flat()) {
      const entry = isObject(raw) ? expand(raw, ABBREVIATIONS) : {};
      problems.push(...unknownKeys(entry, AVAILABILITY_ENTRY_KEYS, "availability"));
      if (typeof entry.topic !== "string") problems.push("availability: topic required");
    }
  }
  if (root.availability_mode !== undefined && !AVAILABILITY_MODES.includes(root.availability_mode as string))
    problems.push(`availability_mode ${JSON.stringify(root.availability_mode)}`);
  if (root.qos !== undefined && ![0, 1, 2].includes(root.qos as number))
    problems.push(`qos ${JSON.stringify(root.qos)}`);

  if (!isObject(root.components) || Object.keys(root.components).length === 0) {
    return [...problems, "components: required"];
  }
  const shared = Object.fromEntries(
    [...SHARED_OPTIONS, "qos", "encoding"].filter((key) => key in root).map((key) => [key, root[key]]),
  );
  const uniqueIds = new Set<string>();
  for (const [key, raw] of Object.entries(root.components)) {
    const where = `components.${key}`;
    if (!ID.test(key)) problems.push(`${where}: the component id is not [a-zA-Z0-9_-]`);
    if (!isObject(raw)) {
      problems.push(`${where}: not an object`);
      continue;
    }
    const component = { ...shared, ...expand(raw, ABBREVIATIONS) };
    if (typeof component.platform !== "string" || !SUPPORTED_COMPONENTS.has(component.platform)) {
      problems.push(`${where}: platform (p) required, one of SUPPORTED_COMPONENTS`);
      continue;
    }
    if (component.platform !== "sensor") {
      problems.push(`${where}: the checker knows the sensor schema only`);
      continue;
    }
    problems.push(...sensorProblems(component, where));
    if (typeof component.unique_id === "string") {
      if (uniqueIds.has(component.unique_id))
        problems.push(`${where}: unique_id ${component.unique_id} twice`);
      uniqueIds.add(component.unique_id);
    }
  }
  return problems;
}

function sensorProblems(sensor: Doc, where: string): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(sensor).filter((key) => !SENSOR_KEYS.has(key))) {
    const hint = key === "object_id" ? " (no longer honoured since HA 2026.4: default_entity_id)" : "";
    problems.push(`${where}: ${key} is dropped by the sensor schema${hint}`);
  }
  if (typeof sensor.unique_id !== "string" || !ID.test(sensor.unique_id))
    problems.push(`${where}: unique_id required, [a-zA-Z0-9_-]`);
  if (typeof sensor.state_topic !== "string") problems.push(`${where}: state_topic required`);
  if (sensor.default_entity_id !== undefined) {
    const id = sensor.default_entity_id;
    if (typeof id !== "string" || !VALID_ENTITY_ID.test(id) || id.split(".")[0] !== sensor.platform)
      problems.push(`${where}: default_entity_id ${JSON.stringify(id)} is no valid sensor.<object id>`);
  }
  if (sensor.options !== undefined) {
    const options = sensor.options;
    if (!Array.isArray(options) || options.length === 0 || !options.every((o) => typeof o === "string"))
      problems.push(`${where}: options must be a non-empty list of strings`);
    if (sensor.state_class || sensor.unit_of_measurement)
      problems.push(`${where}: options exclude state_class and unit_of_measurement`);
    if (sensor.device_class !== "enum") problems.push(`${where}: options need device_class enum`);
  }
  if (sensor.state_class !== undefined && !STATE_CLASSES.includes(sensor.state_class as string))
    problems.push(`${where}: state_class ${JSON.stringify(sensor.state_class)}`);
  const precision = sensor.suggested_display_precision;
  if (precision !== undefined && !(Number.isInteger(precision) && (precision as number) >= 0))
    problems.push(`${where}: suggested_display_precision ${JSON.stringify(precision)}`);
  if (sensor.icon !== undefined && !(typeof sensor.icon === "string" && sensor.icon.includes(":")))
    problems.push(`${where}: icon must be prefix:name`);
  for (const key of ["value_template", "device_class", "unit_of_measurement"])
    if (sensor[key] !== undefined && typeof sensor[key] !== "string")
      problems.push(`${where}: ${key} is no text`);
  return problems;
}
