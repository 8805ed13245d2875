import type { InverterModel } from "./models.js";
import type { InverterValues } from "./solarDay.js";
import type { DeviceIdentity } from "./dxsApi.js";

/**
 * The XML documents of a PIKO MP plus, as the captures in the shared `piko-mpplus-xml/` show them: `/all.xml`
 * holds Measurements, Yields, Versions and State of one `<Device>`; `/measurements.xml`, `/yields.xml` and
 * `/versions.xml` hold one section each. An MP plus feeds one phase: `AC_*` is the whole output. A one-input
 * model writes `DC_Voltage`, a two-input one `DC_Voltage1`/`2` and `DC_Power1`/`2`. A measurement without a
 * value (the device has none now, e.g. the power while in standby) has no `Value` attribute, as on the device.
 */

export const MPPLUS_PATHS = ["/all.xml", "/measurements.xml", "/yields.xml", "/versions.xml"] as const;
export type MpplusPath = (typeof MPPLUS_PATHS)[number];

export function isMpplusPath(path: string): path is MpplusPath {
  return (MPPLUS_PATHS as readonly string[]).includes(path);
}

/** The device's own name of a model: `PIKO 3.0-2 MP plus` (rating, then the number of DC inputs). */
export function mpplusName(model: InverterModel): string {
  return `PIKO ${model.id}-${model.strings} MP plus`;
}

const STATE = { feeding: "Feeding", idle: "Standby", off: "Standby" } as const;

function measurement(type: string, unit: string, value: number | null, decimals = 1): string {
  const shown = value === null ? "" : ` Value="${value.toFixed(decimals)}"`;
  return `            <Measurement${shown} Unit="${unit}" Type="${type}"/>`;
}

function measurements(values: InverterValues, model: InverterModel): string[] {
  const feeding = values.state === "feeding";
  const phase = values.phases[0];
  const strings = values.strings.slice(0, model.strings);
  const dcPowers = strings.map((s) => s.voltageV * s.currentA);
  const lines = [
    measurement("AC_Voltage", "V", phase?.voltageV ?? null),
    measurement("AC_Current", "A", feeding && phase ? values.acPowerW / phase.voltageV : null, 3),
    measurement("AC_Power", "W", feeding ? values.acPowerW : null),
    measurement("AC_Frequency", "Hz", feeding ? 50 : null, 3),
  ];
  strings.forEach((s, i) => {
    const n = model.strings === 1 ? "" : String(i + 1);
    lines.push(measurement(`DC_Voltage${n}`, "V", s.voltageV));
    lines.push(measurement(`DC_Current${n}`, "A", feeding ? s.currentA : null, 3));
    if (model.strings > 1) lines.push(measurement(`DC_Power${n}`, "W", feeding ? dcPowers[i]! : null));
  });
  if (model.strings > 1) {
    lines.push(
      measurement(
        "DC_Power Total",
        "W",
        dcPowers.reduce((a, b) => a + b, 0),
      ),
    );
  }
  lines.push(measurement("Derating", "%", 100));
  return ["        <Measurements>", ...lines, "        </Measurements>"];
}

function yields(values: InverterValues, atIso: string): string[] {
  return [
    "        <Yields>",
    `            <Yield Type="Produced" Slot="Total" Unit="Wh">`,
    `                <YieldValue Value="${Math.round(values.energyTotalKwh * 1000)}" TimeStamp="${atIso}"/>`,
    "            </Yield>",
    "        </Yields>",
  ];
}

function versions(identity: DeviceIdentity): string[] {
  return [
    "        <Versions>",
    `            <Software Device="HMI" Name="APP" Version="${identity.uiVersion}"/>`,
    `            <Software Device="PU" Name="APP" Version="${identity.firmware}"/>`,
    "        </Versions>",
  ];
}

/** The document at `path` for the moment `atMs` (the device's local time, without a zone, as it writes it). */
export function renderMpplusDocument(
  path: MpplusPath,
  values: InverterValues,
  model: InverterModel,
  identity: DeviceIdentity,
  local: { atMs: number; utcOffsetHours: number; rs485Address: number },
): Buffer {
  const localIso = new Date(local.atMs + local.utcOffsetHours * 3_600_000).toISOString().slice(0, 19);
  const device =
    `    <Device Name="${mpplusName(model)}" Type="Inverter" Platform="Net16" HmiPlatform="HMI17" ` +
    `NominalPower="${model.ratedPowerW}" Serial="${identity.serial}" BusAddress="${local.rs485Address}" ` +
    `NetBiosName="${identity.name}" DateTime="${localIso}">`;
  const all = path === "/all.xml";
  const body = [
    ...(all || path === "/measurements.xml" ? measurements(values, model) : []),
    ...(all || path === "/yields.xml" ? yields(values, localIso) : []),
    ...(all || path === "/versions.xml" ? versions(identity) : []),
    ...(all ? [`        <State Value="${STATE[values.state]}"/>`] : []),
  ];
  return Buffer.from(["<root>", device, ...body, "    </Device>", "</root>"].join("\r\n"), "utf8");
}
