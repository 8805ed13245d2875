import type { InverterSettings } from "../config/bridgeSettings.js";
import type { EnvDefaults } from "../config/desiredProperties.js";
import type { FetchLimits } from "../piko/pageFetcher.js";
import { statusPageUrl } from "../piko/inverterAddress.js";
import { InverterClient } from "../piko/inverterClient.js";
import { StateFile, type Loaded } from "../lib/stateFile.js";
import type { Logger } from "../log/logger.js";
import { isInverterId } from "../reading/reading.js";

/** What is kept: the name chosen for the inverter at this address. */
interface ChosenName {
  host: string;
  id: string;
}

export const NAME_FILE = "inverter-name.json";

function validName(raw: unknown): Loaded<ChosenName> {
  const value = raw as Partial<ChosenName> | null;
  if (typeof value?.host === "string" && typeof value.id === "string" && isInverterId(value.id))
    return { value: { host: value.host, id: value.id }, problems: [] };
  return { value: null, problems: ["not {host, id} with an inverter id"] };
}

export interface NamingEdges {
  dataDir: string | null;
  limits: FetchLimits;
  log: Logger;
  now: () => number;
}

/**
 * The environment's one inverter (KOSTAL_HOST without KOSTAL_ID) is named once per installation: by its serial
 * when, at the first start, it answers over an interface that gives one (dxs.json, MP plus), else by its host as
 * before. The choice is kept in the data folder (`inverter-name.json`, per address), so the inverter's topics and
 * entities never change from one start to the next, also when a later start finds it asleep. KOSTAL_ID, the
 * KOSTAL_INVERTERS list and the twin's map name inverters themselves; `protocol: html` has no serial to ask.
 */
export async function nameByDevice(
  defaults: EnvDefaults,
  configuredId: string,
  edges: NamingEdges,
): Promise<EnvDefaults> {
  const [entry] = defaults.inverters;
  if (configuredId !== "" || defaults.origin === "KOSTAL_INVERTERS" || entry === undefined) return defaults;
  const [madeFromHost, settings] = entry;
  if (settings.protocol === "html") return defaults;
  const file = new StateFile<ChosenName>(edges.dataDir, NAME_FILE, (m) => edges.log.warn(m), edges.now);
  const kept = file.load(validName);
  let id = kept?.host === settings.host ? kept.id : null;
  if (id === null) {
    id = await askDevice(madeFromHost, settings, edges);
    file.write({ host: settings.host, id });
    if (id !== madeFromHost)
      edges.log.info(
        `inverter at ${settings.host}: named ${id} after its serial (kept; KOSTAL_ID overrides)`,
      );
  }
  return id === madeFromHost ? defaults : { ...defaults, inverters: new Map([[id, settings]]) };
}

/** The device's own name for itself, or the one made from its host when it gives none or does not answer. */
async function askDevice(
  madeFromHost: string,
  settings: InverterSettings,
  edges: NamingEdges,
): Promise<string> {
  const client = new InverterClient({
    id: madeFromHost,
    idFromDevice: true,
    url: statusPageUrl(settings.host),
    credentials: { username: settings.username, password: settings.password },
    protocol: settings.protocol ?? "auto",
    limits: edges.limits,
    now: edges.now,
  });
  try {
    return (await client.read()).reading.inverter;
  } catch (error) {
    edges.log.info(
      `inverter at ${settings.host}: no answer at the first start (${(error as Error).message}); ` +
        `named ${madeFromHost} after its address`,
    );
    return madeFromHost;
  } finally {
    client.close();
  }
}
