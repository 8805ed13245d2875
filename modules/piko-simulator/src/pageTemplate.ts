import type { PageLabels } from "./languages.js";
import type { InverterModel } from "./models.js";

/**
 * The markup of an old PIKO `/index.fhtml` (comm-board firmware 3.x), written from the documented structure
 * (piko.md) and the layout of the real captures: same tags, attributes, widths, indentation and CRLF line ends.
 * The page is built once per (model, language) with markers where values go, then cut into static runs and
 * slots, so that rendering a page only splices a handful of short strings between precomputed ones.
 *
 * Quirks kept on purpose: `&nbsp` without `;`, `</font>` closing a font opened outside the table, the odd cell
 * widths (95/100) of the L1 heading and of the third block, and the two line layouts of the third block's unit
 * cells. Unused string/phase slots keep their markup, with `bgcolor="#EAF7F7"` value cells holding three spaces.
 */

export type SlotIndex = 1 | 2 | 3;

export type SlotKey =
  | "identity"
  | "address"
  | "status"
  | "acPower"
  | "energyTotal"
  | "energyToday"
  | `dc${SlotIndex}Voltage`
  | `dc${SlotIndex}Current`
  | `l${SlotIndex}Voltage`
  | `l${SlotIndex}Power`;

export interface PageTemplate {
  /** Static runs of markup: `statics[i]`, then the text of `slots[i]`, ..., and `statics[slots.length]` last. */
  readonly statics: readonly string[];
  readonly slots: readonly SlotKey[];
}

const MARK = "\u0000";
const slot = (key: SlotKey): string => `${MARK}${key}${MARK}`;

const FONT = "Arial,Helvetica,Geneva,Sans-serif,sans-serif";
const UNUSED_VALUE = '<td width="70" align="right" bgcolor="#EAF7F7">';
const USED_VALUE = '<td width="70" align="right" bgcolor="#FFFFFF">';

function pageHead(model: InverterModel): string[] {
  return [
    '<!DOCtype HTML PUBLIC "-//W3C//Dtd HTML 4.0 Transitional//EN">',
    "<html>",
    "<head>",
    '<meta HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=ISO-8859-1">',
    '<meta name="Generator" CONTENT="ChrisB">',
    "<title>PV Webserver</title>",
    "</head>",
    '<body nof="(MB=(DefaultMasterborder, 65, 60, 150, 10), L=(HomeLayout, 700, 600))" bgcolor="#EAF7F7" ' +
      'text="#000000" link="#0033CC" vlink="#990099" alink="#FF0000" topmargin=0 leftmargin=0 marginwidth=0 ' +
      "marginheight=0>",
    '<form method="post" action="">',
    '<table cellspacing="0" cellpadding="0" width="770" nof="ly">',
    '<tr><td height="5"></td></tr>',
    '<tr><td width="190" height="55"></td>',
    '<td width="400">',
    `  <font face="${FONT}" size="+3">`,
    `  ${model.displayName}`,
    '<br><font size="+1">                 ',
    `  ${slot("identity")}`,
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

function energyBlock(labels: PageLabels): string[] {
  return [
    '<table cellspacing="0" cellpadding="0" width="770">',
    "<tr><td></td></tr>",
    "<tr>",
    '<td width="190"></td>',
    '<td colspan="2">',
    `  <b>${labels.acPower}</b></td>`,
    "<td>&nbsp</td>",
    "<td>",
    `  <b>${labels.energy}</b></td></tr>`,
    '<tr><td height="10"></td></tr>',
    "",
    "<tr>",
    '<td width="190"></td>',
    '<td width="100">',
    `  ${labels.acPowerNow}</td>`,
    USED_VALUE,
    `  ${slot("acPower")}</td>`,
    '<td width="140">&nbsp W</td>',
    '<td width="100">',
    `  ${labels.totalEnergy}</td>`,
    USED_VALUE,
    `  ${slot("energyTotal")}</td>`,
    '<td width="50">&nbsp kWh</td>',
    "<td>&nbsp</td></tr>",
    '<tr height="2"><td></td></tr>',
    "<tr>",
    '<td width="190"></td>',
    '<td width="100">',
    "  &nbsp</td>",
    '<td width="70" align="right">',
    "  &nbsp</td>",
    '<td width="140">&nbsp</td>',
    '<td width="100">',
    `  ${labels.dailyEnergy}</td>`,
    USED_VALUE,
    `  ${slot("energyToday")}</td>`,
    '<td width="50">&nbsp kWh</td>',
    "<td>&nbsp</td></tr>",
    '<tr height="5"><td></td></tr>',
    "<tr>",
    '<td width="190"></td>',
    '<td width="100">',
    `  ${labels.status}</td>`,
    '<td colspan="4">',
    `  ${slot("status")}</td>`,
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
    `  <b>${labels.pvGenerator}</b></td>`,
    '<td width="140">&nbsp</td>',
    '<td colspan="2">',
    `  <b>${labels.outputPower}</b></td>`,
    '<td width="30">&nbsp</td>',
    "<td>&nbsp</td></tr>",
    '<tr><td height="10"></td></tr>',
  ];
}

/** The unit cell after a string value: one line in blocks 1 and 2, two lines in block 3 (as on the device). */
function stringUnitCell(index: SlotIndex, used: boolean, unit: "V" | "A"): string[] {
  if (index < 3) return [used ? `<td width="140">&nbsp ${unit}</td>` : '<td width="140">&nbsp  </td>'];
  if (unit === "V") return ['<td width="140">&nbsp', used ? "  V</td>" : "   </td>"];
  return ['<td width="140">&nbsp', used ? "A</td>" : " </td>"];
}

/** One "String N / LN" block: heading row, voltage row, current/power row. */
function slotBlock(index: SlotIndex, model: InverterModel, labels: PageLabels): string[] {
  const dc = index <= model.strings;
  const phase = index <= model.phases;
  const headingWidth = index === 1 ? 95 : 100;
  const labelWidth = index === 3 ? 95 : 100;
  const label = (used: boolean, text: string) => (used ? `  ${text}</td>` : "   </td>");
  const value = (used: boolean, key: SlotKey) =>
    used ? [USED_VALUE, `  ${slot(key)}</td>`] : [UNUSED_VALUE, "   </td>"];
  const phaseUnit = (used: boolean, unit: string) =>
    used ? `<td width="30">&nbsp ${unit}</td>` : '<td width="30">&nbsp  </td>';
  return [
    "<tr>",
    '<td width="190"></td>',
    '<td width="100">',
    dc ? `  <u>String ${index}</u></td>` : "  <u> </u></td>",
    '<td width="70">&nbsp</td>',
    '<td width="140">&nbsp</td>',
    `<td width="${headingWidth}">`,
    phase ? `  <u>L${index}</u></td>` : "  <u> </u></td>",
    '<td width="70">&nbsp</td>',
    '<td width="30">&nbsp</td>',
    "<td>&nbsp</td></tr>",
    "<tr>",
    '<td width="190"></td>',
    '<td width="100">',
    label(dc, labels.voltage),
    ...value(dc, `dc${index}Voltage`),
    ...stringUnitCell(index, dc, "V"),
    `<td width="${labelWidth}">`,
    label(phase, labels.voltage),
    ...value(phase, `l${index}Voltage`),
    phaseUnit(phase, "V"),
    "<td>&nbsp</td></tr>",
    '<tr height="2"><td></td></tr>',
    '<tr valign="top" align="left">',
    '<td width="190">&nbsp</td>',
    `<td width="${labelWidth}">`,
    label(dc, labels.current),
    ...value(dc, `dc${index}Current`),
    ...stringUnitCell(index, dc, "A"),
    `<td width="${labelWidth}">`,
    label(phase, labels.power),
    ...value(phase, `l${index}Power`),
    phaseUnit(phase, "W"),
    "<td>&nbsp</td></tr>",
    ...(index < 3 ? ['<tr height="22"><td></td></tr>'] : [""]),
  ];
}

function pageFoot(labels: PageLabels): string[] {
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
    `<b>${labels.rs485}</b></td></tr>`,
    '<tr><td height="8"></td></tr>',
    '<tr><td width="190"></td>',
    '<td><font face="Arial,Helvetica,Geneva,Sans-serif">',
    `${labels.inverter}&nbsp`,
    `<input type="Text" name="edWrNr" value="${slot("address")}" size="3" maxlength="3">`,
    `<input type="submit" value="${labels.displayUpdate}">`,
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
    `<a href="LogDaten.dat">${labels.history}</a>`,
    "&nbsp &nbsp &nbsp",
    `<a href="Info.fhtml">${labels.infoPage}</a></font></td>`,
    '<td align="right">',
    `<font face="${FONT}">`,
    `<a href="Solar2.fhtml">${labels.settings}</a></font></td>`,
    '<td width="50"></td>',
    "</tr></table></font>",
    "</form>",
    "</body>",
    "</html>",
  ];
}

/** The whole page as text with slot markers, CRLF line ends. */
export function pageMarkup(model: InverterModel, labels: PageLabels): string {
  const lines = [
    ...pageHead(model),
    ...energyBlock(labels),
    ...([1, 2, 3] as const).flatMap((index) => slotBlock(index, model, labels)),
    ...pageFoot(labels),
  ];
  return `${lines.join("\r\n")}\r\n`;
}

/** Cuts the marked-up page into static runs and slot keys. */
export function buildTemplate(model: InverterModel, labels: PageLabels): PageTemplate {
  const pieces = pageMarkup(model, labels).split(MARK);
  return {
    statics: pieces.filter((_, i) => i % 2 === 0),
    slots: pieces.filter((_, i) => i % 2 === 1) as SlotKey[],
  };
}
