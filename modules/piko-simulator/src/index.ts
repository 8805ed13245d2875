/** The PIKO simulator: a stand-in for an old-generation KOSTAL PIKO inverter's web page, for tests and demos. */
export { AcceleratedClock, ManualClock, systemClock, type Clock } from "./clock.js";
export { startFarm, type Farm, type FarmOptions } from "./farm.js";
export { FAULT_KINDS, parseFaultSpec, type Fault, type FaultKind } from "./faults.js";
export { DISPLAY_STATES, LANGUAGES, PAGE_LABELS, type DisplayState, type Language } from "./languages.js";
export { MODEL_IDS, MODELS, inverterModel, type InverterModel, type ModelId } from "./models.js";
export { renderStatusPage, type PageValues, type PhaseValues, type StringValues } from "./pageRenderer.js";
export {
  PikoSimulator,
  type NightBehaviour,
  type PikoSimulatorOptions,
  type SimulatorStats,
} from "./server.js";
export { simulateCommand } from "./simulateCommand.js";
export { SolarDay, type InverterState, type InverterValues, type SolarDayOptions } from "./solarDay.js";
