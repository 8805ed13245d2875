/**
 * Made-up LogDaten.dat files in the device's layout (piko.md): the header, the units line, the 42 column names,
 * space-padded tab-separated rows. For the reader's tests, the downloader's test server and the fuzz.
 */

export const LOGDATEN_COLUMNS = [
  "Zeit",
  "DC1 U",
  "DC1 I",
  "DC1 P",
  "DC1 T",
  "DC1 S",
  "DC2 U",
  "DC2 I",
  "DC2 P",
  "DC2 T",
  "DC2 S",
  "DC3 U",
  "DC3 I",
  "DC3 P",
  "DC3 T",
  "DC3 S",
  "AC1 U",
  "AC1 I",
  "AC1 P",
  "AC1 T",
  "AC2 U",
  "AC2 I",
  "AC2 P",
  "AC2 T",
  "AC3 U",
  "AC3 I",
  "AC3 P",
  "AC3 T",
  "AC F",
  "FC I",
  "Ain1",
  "Ain2",
  "Ain3",
  "Ain4",
  "AC S",
  "Err",
  "ENS S",
  "ENS Err",
  "KB S",
  "total E",
  "Iso R",
  "Ereignis",
];

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
