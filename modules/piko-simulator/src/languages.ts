/**
 * The words of the status page in the UI languages seen on real PIKO pages (piko.md): German (the factory
 * default), English and Dutch, copied from the captures. `String N` and `LN` headings are the same in all three.
 */

export const LANGUAGES = ["de", "en", "nl"] as const;
export type Language = (typeof LANGUAGES)[number];

/** What the page shows: the inverter answering while idle (dawn), feeding, or off (dusk, `x x x` values). */
export const DISPLAY_STATES = ["feeding", "idle", "off"] as const;
export type DisplayState = (typeof DISPLAY_STATES)[number];

export interface PageLabels {
  /** Heading of the AC power block. */
  readonly acPower: string;
  /** Label of the AC power value ("now"). */
  readonly acPowerNow: string;
  readonly energy: string;
  readonly totalEnergy: string;
  readonly dailyEnergy: string;
  readonly status: string;
  readonly pvGenerator: string;
  readonly outputPower: string;
  readonly voltage: string;
  readonly current: string;
  readonly power: string;
  readonly rs485: string;
  readonly inverter: string;
  /** The submit button of the RS485 address form. */
  readonly displayUpdate: string;
  readonly history: string;
  readonly infoPage: string;
  readonly settings: string;
  /** The status text of each state. */
  readonly states: Readonly<Record<DisplayState, string>>;
}

export const PAGE_LABELS: Readonly<Record<Language, PageLabels>> = Object.freeze({
  de: {
    acPower: "AC-Leistung",
    acPowerNow: "aktuell",
    energy: "Energie",
    totalEnergy: "Gesamtenergie",
    dailyEnergy: "Tagesenergie",
    status: "Status",
    pvGenerator: "PV-Generator",
    outputPower: "Ausgangsleistung",
    voltage: "Spannung",
    current: "Strom",
    power: "Leistung",
    rs485: "RS485 Kommunikation",
    inverter: "Wechselrichter",
    displayUpdate: "Anzeigen/Aktualisieren",
    history: "Historie",
    infoPage: "Infoseite",
    settings: "Einstellungen",
    states: { off: "Aus", idle: "Leerlauf", feeding: "Einspeisen MPP" },
  },
  en: {
    acPower: "AC power",
    acPowerNow: "current",
    energy: "energy",
    totalEnergy: "total energy",
    dailyEnergy: "daily energy",
    status: "status",
    pvGenerator: "PV generator",
    outputPower: "output power",
    voltage: "voltage",
    current: "current",
    power: "power",
    rs485: "RS485 communication",
    inverter: "inverter",
    displayUpdate: "display/update",
    history: "history",
    infoPage: "info page",
    settings: "settings",
    states: { off: "off", idle: "idle", feeding: "supply MPP" },
  },
  nl: {
    acPower: "AC-vermogen",
    acPowerNow: "actueel",
    energy: "energie",
    totalEnergy: "totale energie",
    dailyEnergy: "dagenergie",
    status: "status",
    pvGenerator: "PV-generator",
    outputPower: "uitgangsvermogen",
    voltage: "spanning",
    current: "stroom",
    power: "vermogen",
    rs485: "RS485-communicatie",
    inverter: "omvormer",
    displayUpdate: "weergeven/actualiseren",
    history: "geschiedenis",
    infoPage: "informatiepagina",
    settings: "instellingen",
    states: { off: "uit", idle: "stationair", feeding: "toevoer MPP" },
  },
});

export function isLanguage(text: string): text is Language {
  return (LANGUAGES as readonly string[]).includes(text);
}
