/**
 * The old-generation PIKO models the simulator can stand in for (piko.md): how many DC strings and AC phases the
 * status page shows, and what the inverter delivers. Ratings are the nominal AC power of each model; the string
 * voltages are typical MPP voltages of the PV fields such inverters were sold with, not device limits.
 */

export const MODEL_IDS = ["10.1", "8.3", "5.5", "4.2", "3.6", "3.0"] as const;
export type ModelId = (typeof MODEL_IDS)[number];

export interface InverterModel {
  readonly id: ModelId;
  /** The header line of the status page, e.g. `PIKO 10.1`. */
  readonly displayName: string;
  /** String slots the page shows with values (the others keep their markup, blank). */
  readonly strings: 1 | 2 | 3;
  /** Phase slots the page shows with values: 1 (L1 only) or 3. */
  readonly phases: 1 | 3;
  /**
   * Strings with panels on them. A 3-string PIKO 5.5 is often wired with two strings only: the third slot then
   * reads 0 V / 0.00 A all day (both 5.5 captures show this).
   */
  readonly wiredStrings: 1 | 2 | 3;
  /** Nominal AC output, W. */
  readonly ratedPowerW: number;
  /** Typical MPP voltage of one string at full sun, V. */
  readonly mppVoltageV: number;
}

function model(
  id: ModelId,
  layout: Pick<InverterModel, "strings" | "phases" | "wiredStrings" | "mppVoltageV">,
  ratedPowerW: number,
): InverterModel {
  return Object.freeze({ id, displayName: `PIKO ${id}`, ratedPowerW, ...layout });
}

export const MODELS: Readonly<Record<ModelId, InverterModel>> = Object.freeze({
  "10.1": model("10.1", { strings: 3, phases: 3, wiredStrings: 3, mppVoltageV: 520 }, 10_000),
  "8.3": model("8.3", { strings: 2, phases: 3, wiredStrings: 2, mppVoltageV: 500 }, 8_300),
  "5.5": model("5.5", { strings: 3, phases: 3, wiredStrings: 2, mppVoltageV: 420 }, 5_500),
  "4.2": model("4.2", { strings: 2, phases: 3, wiredStrings: 2, mppVoltageV: 400 }, 4_200),
  "3.6": model("3.6", { strings: 2, phases: 1, wiredStrings: 2, mppVoltageV: 360 }, 3_600),
  "3.0": model("3.0", { strings: 1, phases: 1, wiredStrings: 1, mppVoltageV: 380 }, 3_000),
});

export function isModelId(text: string): text is ModelId {
  return (MODEL_IDS as readonly string[]).includes(text);
}

/** The model of an id; throws RangeError naming the known models. */
export function inverterModel(id: string): InverterModel {
  if (!isModelId(id))
    throw new RangeError(`unknown PIKO model '${id}', expected one of ${MODEL_IDS.join(", ")}`);
  return MODELS[id];
}
