import { DEVICE_FIELDS, slotFields, type PageField, type SlotGroup } from "../reading/fields.js";
import type { Reading } from "../reading/reading.js";
import { STATUS_CODES } from "../reading/status.js";
import { PAGE_LANGUAGES, PAGE_WORDS, type PageLanguage, type PageWord } from "./pageWords.js";

export { PAGE_LANGUAGES, type PageLanguage } from "./pageWords.js";

/**
 * Writes a reading as an old PIKO status page (`/index.fhtml`), the inverse of statusPage.ts: to serve the last
 * reading to tools written for the device. Pure: no I/O. The markup is the device's, line for line (piko.md and the
 * pristine captures in `piko-html/`, which a test compares byte for byte): CRLF line ends, `&nbsp` without `;`,
 * the odd 95/100 cell widths, a slot the model lacks kept with a `#EAF7F7` cell of three spaces, and `x x x&nbsp`
 * for every instantaneous value when the inverter is off. Labels and value formats come from the field table.
 *
 * Which String/L slots the page has follows the reading: a slot is shown when the reading has any of its page
 * fields (String 1 and L1 always: every PIKO has them). A null value is a blank cell, which the reader reads as
 * null again. Text from the reading (model, name, status) is written with `&`, `<` and `>` escaped and characters
 * beyond latin1 as `?` (the page is ISO-8859-1); the device itself only shows `[A-Za-z0-9]` names.
 */

const FONT = "Arial,Helvetica,Geneva,Sans-serif,sans-serif";
const VALUE_CELL = '<td width="70" align="right" bgcolor="#FFFFFF">';
const UNUSED_CELL = '<td width="70" align="right" bgcolor="#EAF7F7">';
const OFF_PLACEHOLDER = "x x x&nbsp";
const [AC_POWER, ENERGY_TOTAL, ENERGY_TODAY] = [...DEVICE_FIELDS].sort((a, b) => a.page.row - b.page.row) as [
  PageField,
  PageField,
  PageField,
];

function escapeText(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[^\x20-\x7e\xa0-\xff]/g, "?");
}

class PageWriter {
  private readonly words: Readonly<Record<PageWord, string>>;
  private readonly languageIndex: number;
  private readonly off: boolean;

  constructor(
    private readonly reading: Reading,
    language: PageLanguage,
  ) {
    this.words = PAGE_WORDS[language];
    this.languageIndex = PAGE_LANGUAGES.indexOf(language);
    this.off = reading.status_code === STATUS_CODES.off;
  }

  label(field: PageField): string {
    return field.page.labels[this.languageIndex] ?? field.page.labels[0]!;
  }

  /** The text of a value cell, in the format the PIKO writes for that field. */
  value(field: PageField): string {
    const value = this.reading[field.key];
    if (this.off && field.instantaneous) return OFF_PLACEHOLDER;
    if (value === undefined || value === null) return "";
    if (value === 0 && field.page.bareZero) return "0";
    return field.page.decimals === 0 ? String(Math.round(value)) : value.toFixed(field.page.decimals);
  }

  /** Whether the page shows String/L slot `index` (slot 1 always). */
  hasSlot(group: SlotGroup, index: number): boolean {
    return index === 1 || slotFields(group, index).some((f) => this.reading[f.key] !== undefined);
  }

  head(): string[] {
    const { reading } = this;
    return [
      '<!DOCtype HTML PUBLIC "-//W3C//Dtd HTML 4.0 Transitional//EN">',
      "<html>",
      "<head>",
      '<meta HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=ISO-8859-1">',
      '<meta name="Generator" CONTENT="ChrisB">',
      "<title>PV Webserver</title>",
      "</head>",
      '<body nof="(MB=(DefaultMasterborder, 65, 60, 150, 10), L=(HomeLayout, 700, 600))" bgcolor="#EAF7F7" text="#000000" link="#0033CC" vlink="#990099" alink="#FF0000" topmargin=0 leftmargin=0 marginwidth=0 marginheight=0>',
      '<form method="post" action="">',
      '<table cellspacing="0" cellpadding="0" width="770" nof="ly">',
      '<tr><td height="5"></td></tr>',
      '<tr><td width="190" height="55"></td>',
      '<td width="400">',
      `  <font face="${FONT}" size="+3">`,
      `  ${escapeText(reading.model)}`,
      `<br><font size="+1">${" ".repeat(17)}`,
      `  ${escapeText(reading.name)} (${reading.rs485_address})`,
      "</font>",
      "</font>",
      "</td>",
      '<td><img alt="Logo" height="42" width="130" src="KSE.gif"></td>',
      "</tr>",
      "</table>",
      "",
      `<font face="${FONT}">`,
      '<table Border="0" width="100%"><tr>',
      '<td width="150"></td>',
      "<td> <hr> </td>",
      "</tr></table>",
    ];
  }

  energy(): string[] {
    const { words } = this;
    const valueCell = (field: PageField, unitCell: string) => [
      '<td width="100">',
      `  ${this.label(field)}</td>`,
      VALUE_CELL,
      `  ${this.value(field)}</td>`,
      unitCell,
    ];
    return [
      '<table cellspacing="0" cellpadding="0" width="770">',
      "<tr><td></td></tr>",
      "<tr>",
      '<td width="190"></td>',
      '<td colspan="2">',
      `  <b>${words.acPower}</b></td>`,
      "<td>&nbsp</td>",
      "<td>",
      `  <b>${words.energy}</b></td></tr>`,
      '<tr><td height="10"></td></tr>',
      "",
      "<tr>",
      '<td width="190"></td>',
      ...valueCell(AC_POWER, `<td width="140">&nbsp ${AC_POWER.unit}</td>`),
      ...valueCell(ENERGY_TOTAL, `<td width="50">&nbsp ${ENERGY_TOTAL.unit}</td>`),
      "<td>&nbsp</td></tr>",
      '<tr height="2"><td></td></tr>',
      "<tr>",
      '<td width="190"></td>',
      '<td width="100">',
      "  &nbsp</td>",
      '<td width="70" align="right">',
      "  &nbsp</td>",
      '<td width="140">&nbsp</td>',
      ...valueCell(ENERGY_TODAY, `<td width="50">&nbsp ${ENERGY_TODAY.unit}</td>`),
      "<td>&nbsp</td></tr>",
      '<tr height="5"><td></td></tr>',
      "<tr>",
      '<td width="190"></td>',
      '<td width="100">',
      `  ${words.status}</td>`,
      '<td colspan="4">',
      `  ${escapeText(this.reading.status_text)}</td>`,
      "<td>&nbsp</td></tr>",
      '<tr height="8"><td></td></tr>',
      '<tr><td colspan="7">',
      '<table align="top" width="100%"><tr>',
      '<td width="182"></td>',
      '<td><hr size="1"></font></td></tr>',
      '<tr><td height="5"></td></tr></table>',
      "</td></tr>",
      "<tr>",
      '<td width="190"></td>',
      '<td colspan="2">',
      `  <b>${words.pvGenerator}</b></td>`,
      '<td width="140">&nbsp</td>',
      '<td colspan="2">',
      `  <b>${words.outputPower}</b></td>`,
      '<td width="30">&nbsp</td>',
      "<td>&nbsp</td></tr>",
      '<tr><td height="10"></td></tr>',
    ];
  }

  /** Label, value and unit cells of one slot's field in row `row`, or the blank cells of a slot the page lacks. */
  slotCells(group: SlotGroup, index: number, row: number): { label: string; value: string[]; unit: string } {
    const field = slotFields(group, index).find((f) => f.page.row === row);
    if (!this.hasSlot(group, index) || field === undefined) {
      return { label: "   </td>", value: [UNUSED_CELL, "   </td>"], unit: "" };
    }
    return {
      label: `  ${this.label(field)}</td>`,
      value: [VALUE_CELL, `  ${this.value(field)}</td>`],
      unit: field.unit,
    };
  }

  /** The unit cell after a string value: one line in blocks 1 and 2; in block 3 two, unlike each other. */
  stringUnit(index: number, row: number, unit: string): string[] {
    if (index < 3) return [`<td width="140">&nbsp ${unit === "" ? " " : unit}</td>`];
    if (row === 0) return ['<td width="140">&nbsp', unit === "" ? "   </td>" : `  ${unit}</td>`];
    return ['<td width="140">&nbsp', unit === "" ? " </td>" : `${unit}</td>`];
  }

  slotBlock(index: number): string[] {
    const heading = (group: SlotGroup, name: string) =>
      this.hasSlot(group, index) ? `  <u>${name}</u></td>` : "  <u> </u></td>";
    const labelWidth = index === 3 ? 95 : 100;
    const row = (r: number, first: string[]) => {
      const dc = this.slotCells("dc", index, r);
      const phase = this.slotCells("phase", index, r);
      return [
        ...first,
        dc.label,
        ...dc.value,
        ...this.stringUnit(index, r, dc.unit),
        `<td width="${labelWidth}">`,
        phase.label,
        ...phase.value,
        `<td width="30">&nbsp ${phase.unit === "" ? " " : phase.unit}</td>`,
        "<td>&nbsp</td></tr>",
      ];
    };
    return [
      "<tr>",
      '<td width="190"></td>',
      '<td width="100">',
      heading("dc", `String ${index}`),
      '<td width="70">&nbsp</td>',
      '<td width="140">&nbsp</td>',
      `<td width="${index === 1 ? 95 : 100}">`,
      heading("phase", `L${index}`),
      '<td width="70">&nbsp</td>',
      '<td width="30">&nbsp</td>',
      "<td>&nbsp</td></tr>",
      ...row(0, ["<tr>", '<td width="190"></td>', '<td width="100">']),
      '<tr height="2"><td></td></tr>',
      ...row(1, [
        '<tr valign="top" align="left">',
        '<td width="190">&nbsp</td>',
        `<td width="${labelWidth}">`,
      ]),
      index < 3 ? '<tr height="22"><td></td></tr>' : "",
    ];
  }

  foot(): string[] {
    const { words } = this;
    return [
      '<tr><td height="15"></td></tr>',
      '<tr><td colspan="7">',
      '<table align="top" width="100%">',
      '<tr><td width="182"></td>',
      '<td><hr size="1"></font></td>',
      '</tr><tr><td height="5"></td></tr></table>',
      "</td></tr></table>",
      '<table cellspacing="0" cellpadding="0" width="770">',
      '<tr><td width="190"></td>',
      '<td><font face="Arial,Helvetica,Geneva,Sans-serif">',
      `<b>${words.rs485}</b></td></tr>`,
      '<tr><td height="8"></td></tr>',
      '<tr><td width="190"></td>',
      '<td><font face="Arial,Helvetica,Geneva,Sans-serif">',
      `${words.inverter}&nbsp`,
      `<input type="Text" name="edWrNr" value="${this.reading.rs485_address}" size="3" maxlength="3">`,
      `<input type="submit" value="${words.update}">`,
      '</td></tr><tr><td height="10"></td></tr>',
      "</table>",
      "</td></tr></table></font>",
      "",
      "<hr>",
      '<table cellspacing="0" cellpadding="0" width="770">',
      '<tr><td height="5"></td></tr>',
      '<tr><td width="190"></td>',
      '<td width="330">',
      `<font face="${FONT}">`,
      `<a href="LogDaten.dat">${words.history}</a>`,
      "&nbsp &nbsp &nbsp",
      `<a href="Info.fhtml">${words.info}</a></font></td>`,
      '<td align="right">',
      `<font face="${FONT}">`,
      `<a href="Solar2.fhtml">${words.settings}</a></font></td>`,
      '<td width="50"></td>',
      "</tr></table></font>",
      "</form>",
      "</body>",
      "</html>",
    ];
  }
}

/** The status page of a reading, as text to be sent latin1-encoded; German (the factory default) unless asked. */
export function writeStatusPage(reading: Reading, language: PageLanguage = "de"): string {
  const writer = new PageWriter(reading, language);
  const lines = [
    ...writer.head(),
    ...writer.energy(),
    ...[1, 2, 3].flatMap((index) => writer.slotBlock(index)),
    ...writer.foot(),
  ];
  return `${lines.join("\r\n")}\r\n`;
}
