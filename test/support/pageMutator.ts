import type { Prng } from "./prng.js";

/**
 * Inputs for the page reader fuzz test: real captures with a few random edits, and random strings. The edits
 * aim at what the fast scanner must either follow exactly like a browser or give up on: tags that restructure
 * tables, comments, raw text, entities, attributes, case, line ends, truncation, and junk in value cells.
 */

/** Markup that changes how a browser builds the table tree, or how the scanner tokenises. */
const TAGS = [
  "<tr>",
  "</tr>",
  "<td>",
  "</td>",
  "<th>",
  "</th>",
  "<td bgcolor=x>",
  '<td bgcolor="#FFFFFF">',
  "<TD BGCOLOR=#EAF7F7>",
  '<td colspan="4">',
  "<td bgcolor=&amp;>",
  "<td bgcolor='#FFFFFF' bgcolor=\"x\">",
  "<td/>",
  "<tr/>",
  "<table>",
  "</table>",
  "<table/>",
  "<tbody>",
  "</tbody>",
  "<thead>",
  "<tfoot>",
  "<caption>",
  "<col>",
  "<colgroup>",
  "<!--",
  "-->",
  "<!---->",
  "<!-->",
  "<!--->",
  "--!>",
  "<!-- x -->",
  "<!DOCTYPE html>",
  "<?xml version='1.0'?>",
  "<![CDATA[x]]>",
  "<!x>",
  "&amp;",
  "&nbsp",
  "&nbsp;",
  "&NBSP;",
  "&lt;",
  "&#65;",
  "&#x41;",
  "&#0;",
  "&",
  "&nbspx",
  "<script>",
  "</script>",
  "<script>x</script>",
  "<script><!--</script>",
  "<style>",
  "</style>",
  "<title>",
  "</title>",
  "<textarea>",
  "<select>",
  "<noscript>",
  "<template>",
  "<plaintext>",
  "<xmp>",
  "<pre>",
  "<pre>\n",
  "<LISTING>\r\n",
  "<iframe>",
  "<svg>",
  "<math>",
  "<frameset>",
  "<html>",
  "</html>",
  "<body>",
  "</body>",
  "<head>",
  "<form>",
  "</form>",
  "<input>",
  "<br>",
  "</br>",
  "<p>",
  "</p>",
  "<div>",
  "<u>",
  "</u>",
  "<b>",
  "</font>",
  "<font size=+1>",
  "<a href='x'>",
  "<hr>",
  "<li>",
  "<h1>",
  "<button>",
  "<nobr>",
  "<image>",
  "<",
  ">",
  "</",
  "</>",
  "< td>",
  "<td\t",
  '"',
  "'",
  "=",
  "/",
  "\0",
  "\u00a0",
  "\f",
  "\r",
  "\ufeff",
];

const JUNK_NUMBERS = [
  "",
  " ",
  "x x x&nbsp",
  "xxx",
  "XXX",
  "x",
  "-",
  "--",
  "1.2.3",
  "1,5",
  "12,34",
  ".5",
  "5.",
  "-0",
  "+3",
  "NaN",
  "Infinity",
  "1e5",
  "0x10",
  "&nbsp",
  "&nbsp;&nbsp;",
  "12a",
  "9".repeat(400),
  "0." + "0".repeat(30) + "1",
  "\u0663",
  "\u00a0",
  "<b>1</b>",
];

const WORDS = [
  "PIKO 8.3",
  "PIKO 5,5",
  "piko (255)",
  "x (1)",
  "String 1",
  "String 2",
  "String 3",
  "L1",
  "L2",
  "L3",
  "Status",
  "aktuell",
  "Gesamtenergie",
  "Tagesenergie",
  "Spannung",
  "Strom",
  "Leistung",
  "current",
  "total energy",
  "daily energy",
  "voltage",
  "power",
  "W",
  "kWh",
  "V",
  "A",
  "&nbsp W",
  "&nbsp kWh",
  "Aus",
  "x x x&nbsp",
  "0",
  "230",
  "0.38",
  "69425",
  " ",
  "\r\n",
  "\n",
  "\t",
];

export type MutationName =
  | "delete"
  | "duplicate"
  | "swap"
  | "flip"
  | "insertChars"
  | "insertTag"
  | "changeCase"
  | "truncate"
  | "junkNumber"
  | "lineEnds"
  | "tabs"
  | "unquote";

function range(rng: Prng, length: number, maxSize: number): [number, number] {
  const start = rng.int(length + 1);
  const size = rng.chance(0.7) ? rng.between(1, 12) : rng.between(1, maxSize);
  return [start, Math.min(length, start + size)];
}

function randomChar(rng: Prng): string {
  if (rng.chance(0.5)) return rng.pick(["<", ">", "/", "!", "-", "&", ";", '"', "'", "=", " ", "\n", "#"]);
  if (rng.chance(0.8)) return String.fromCharCode(rng.between(0x20, 0x7e));
  if (rng.chance(0.9)) return String.fromCharCode(rng.int(0x100));
  return String.fromCharCode(rng.int(0x10000));
}

const MUTATIONS: Record<MutationName, (html: string, rng: Prng) => string> = {
  delete(html, rng) {
    const [start, end] = range(rng, html.length, 2000);
    return html.slice(0, start) + html.slice(end);
  },
  duplicate(html, rng) {
    const [start, end] = range(rng, html.length, 2000);
    const at = rng.int(html.length + 1);
    const copy = html.slice(start, end);
    return html.slice(0, at) + copy + html.slice(at);
  },
  swap(html, rng) {
    const [a0, a1] = range(rng, html.length, 800);
    const [b0, b1] = range(rng, html.length, 800);
    if (a1 > b0 && b1 > a0) return html; // overlapping ranges: nothing sensible to swap
    const [first, second] =
      a0 < b0
        ? [
            [a0, a1],
            [b0, b1],
          ]
        : [
            [b0, b1],
            [a0, a1],
          ];
    const [f0, f1] = first as [number, number];
    const [s0, s1] = second as [number, number];
    return html.slice(0, f0) + html.slice(s0, s1) + html.slice(f1, s0) + html.slice(f0, f1) + html.slice(s1);
  },
  flip(html, rng) {
    if (html.length === 0) return randomChar(rng);
    const at = rng.int(html.length);
    return html.slice(0, at) + randomChar(rng) + html.slice(at + 1);
  },
  insertChars(html, rng) {
    const at = rng.int(html.length + 1);
    let text = "";
    for (let n = rng.between(1, 4); n > 0; n--) text += randomChar(rng);
    return html.slice(0, at) + text + html.slice(at);
  },
  insertTag(html, rng) {
    // Markup goes where markup is: next to another tag, or into a value cell.
    const at = rng.chance(0.6) ? nearTag(html, rng) : rng.int(html.length + 1);
    return html.slice(0, at) + rng.pick(TAGS) + html.slice(at);
  },
  changeCase(html, rng) {
    const [start, end] = range(rng, html.length, 3000);
    const part = html.slice(start, end);
    return (
      html.slice(0, start) + (rng.chance(0.5) ? part.toUpperCase() : part.toLowerCase()) + html.slice(end)
    );
  },
  truncate(html, rng) {
    return html.slice(0, rng.int(html.length + 1));
  },
  junkNumber(html, rng) {
    const numbers = [...html.matchAll(/\d+(?:\.\d+)?/g)];
    if (numbers.length === 0) return html;
    const match = rng.pick(numbers);
    const at = match.index;
    return html.slice(0, at) + rng.pick(JUNK_NUMBERS) + html.slice(at + match[0].length);
  },
  lineEnds(html, rng) {
    if (rng.chance(0.4)) return html.replace(/\r\n/g, "\n");
    if (rng.chance(0.6)) return html.replace(/\r?\n/g, "\r\n");
    return html.replace(/\r?\n/g, "\r");
  },
  tabs(html, rng) {
    return rng.chance(0.5)
      ? html.replace(/^ +/gm, (spaces) => "\t".repeat(spaces.length))
      : html.replace(/^/gm, "\t\t");
  },
  unquote(html, rng) {
    // Attribute values without quotes, or with single quotes: the scanner must tokenise them like a browser.
    return rng.chance(0.5) ? html.replace(/="([^"\s>]*)"/g, "=$1") : html.replace(/="([^"']*)"/g, "='$1'");
  },
};

const MUTATION_NAMES = Object.keys(MUTATIONS) as MutationName[];

function nearTag(html: string, rng: Prng): number {
  const from = rng.int(html.length + 1);
  const lt = html.indexOf("<", from);
  if (lt < 0) return from;
  if (rng.chance(0.5)) return lt;
  const gt = html.indexOf(">", lt);
  return gt < 0 ? lt : gt + 1;
}

/** A capture with one to four random edits; `applied` names them, for the failure report. */
export function mutatePage(html: string, rng: Prng): { text: string; applied: MutationName[] } {
  const applied: MutationName[] = [];
  let text = html;
  for (let n = rng.chance(0.5) ? 1 : rng.between(2, 4); n > 0; n--) {
    const name = rng.pick(MUTATION_NAMES);
    applied.push(name);
    text = MUTATIONS[name](text, rng);
  }
  return { text, applied };
}

export type RandomKind = "ascii" | "bytes" | "tokens" | "table";

/** A random string, from byte noise to tag soup that looks like a status page's table. */
export function randomPage(rng: Prng): { text: string; kind: RandomKind } {
  const kind = rng.pick<RandomKind>(["ascii", "bytes", "tokens", "table"]);
  let text = "";
  switch (kind) {
    case "ascii":
      for (let n = rng.int(1500); n > 0; n--) text += String.fromCharCode(rng.between(0x20, 0x7e));
      break;
    case "bytes":
      for (let n = rng.int(1500); n > 0; n--) text += String.fromCharCode(rng.int(0x100));
      break;
    case "tokens":
      for (let n = rng.int(300); n > 0; n--) text += rng.chance(0.5) ? rng.pick(TAGS) : rng.pick(WORDS);
      break;
    case "table":
      text = randomTable(rng);
      break;
  }
  // Most pages get the end a status page has, so that they reach the readers rather than the length check.
  if (rng.chance(0.7)) text += rng.pick(["</html>", "</HTML>\r\n", "</html >\n", "</body></html>"]);
  return { text, kind };
}

/** Rows and cells with status-page labels, value cells and numbers in random order. */
function randomTable(rng: Prng): string {
  let text = rng.chance(0.5) ? "<html><body>" : "";
  for (let tables = rng.between(1, 3); tables > 0; tables--) {
    text += rng.chance(0.9) ? "<table>" : "";
    for (let rows = rng.int(25); rows > 0; rows--) {
      text += rng.chance(0.95) ? "<tr>" : "";
      for (let cells = rng.int(9); cells > 0; cells--) {
        const value = rng.chance(0.4);
        text += value
          ? `<td bgcolor="${rng.pick(["#FFFFFF", "#EAF7F7", "x"])}">`
          : rng.pick(["<td>", "<th>"]);
        const content = value && rng.chance(0.5) ? rng.pick(JUNK_NUMBERS) : rng.pick(WORDS);
        text += rng.chance(0.5) ? `\r\n  ${content}` : content;
        if (rng.chance(0.05)) text += rng.pick(TAGS);
        text += rng.chance(0.9) ? "</td>" : "";
      }
      text += rng.chance(0.9) ? "</tr>\r\n" : "";
    }
    text += rng.chance(0.9) ? "</table>" : "";
  }
  return text;
}
