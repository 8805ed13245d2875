/**
 * The words of the old status page in the UI languages seen on real PIKO pages (piko.md): German (the factory
 * default), English and Dutch, as the captures show them. Only the words that are not a value's label: those are
 * the field table's (reading/fields.ts), in the same language order.
 */

export const PAGE_LANGUAGES = ["de", "en", "nl"] as const;
export type PageLanguage = (typeof PAGE_LANGUAGES)[number];

/** The words of the page that are not a value's label (those are in the field table), as the captures show them. */
export type PageWord =
  | "acPower"
  | "energy"
  | "status"
  | "pvGenerator"
  | "outputPower"
  | "rs485"
  | "inverter"
  | "update"
  | "history"
  | "info"
  | "settings";

export const PAGE_WORDS: Readonly<Record<PageLanguage, Readonly<Record<PageWord, string>>>> = {
  de: {
    acPower: "AC-Leistung",
    energy: "Energie",
    status: "Status",
    pvGenerator: "PV-Generator",
    outputPower: "Ausgangsleistung",
    rs485: "RS485 Kommunikation",
    inverter: "Wechselrichter",
    update: "Anzeigen/Aktualisieren",
    history: "Historie",
    info: "Infoseite",
    settings: "Einstellungen",
  },
  en: {
    acPower: "AC power",
    energy: "energy",
    status: "status",
    pvGenerator: "PV generator",
    outputPower: "output power",
    rs485: "RS485 communication",
    inverter: "inverter",
    update: "display/update",
    history: "history",
    info: "info page",
    settings: "settings",
  },
  nl: {
    acPower: "AC-vermogen",
    energy: "energie",
    status: "status",
    pvGenerator: "PV-generator",
    outputPower: "uitgangsvermogen",
    rs485: "RS485-communicatie",
    inverter: "omvormer",
    update: "weergeven/actualiseren",
    history: "geschiedenis",
    info: "informatiepagina",
    settings: "instellingen",
  },
};
