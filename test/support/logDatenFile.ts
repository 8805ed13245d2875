import { LOGDATEN_COLUMNS } from "../../modules/piko-simulator/src/logDaten.js";

export { LOGDATEN_COLUMNS };

/**
 * Made-up LogDaten.dat files in the device's layout (piko.md): the header, the units line, the 42 column names,
 * space-padded tab-separated rows. For the reader's tests, the downloader's test server and the fuzz.
 */

export function logDatenFile(
  rowLines: readonly string[],
  columns: readonly string[] = LOGDATEN_COLUMNS,
  eol = "\r\n",
  aktZeit = 1_000_000,
): string {
  const head = [
    "Wechselricher Logdaten",
    "Wechselrichter Nr:\t255",
    "Name:\tpiko",
    `akt. Zeit:\t${String(aktZeit).padStart(10)}`,
    "",
    "Logdaten U[V], I[mA], P[W], E[kWh], F[Hz], R[kOhm], Ain T[digit], Zeit[sec]",
    columns.join("\t"),
  ];
  return [...head, ...rowLines].join(eol) + eol;
}

const defaultCell = (name: string) => (name === "AC F" ? "50.0" : "10");

/** A full row (on the grid): every column of COLUMNS but the event. */
export function fullRow(zeit: number, cells: Partial<Record<string, string>> = {}): string {
  return LOGDATEN_COLUMNS.slice(0, -1)
    .map((name) =>
      name === "Zeit" ? String(zeit).padStart(10) : (cells[name] ?? defaultCell(name)).padStart(6),
    )
    .join("\t");
}
