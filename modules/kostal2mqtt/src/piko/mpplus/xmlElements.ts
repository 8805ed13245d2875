import { excerpt, PageFormat } from "../errors.js";

/**
 * A small, tolerant reader for the MP plus XML documents (piko.md; samples in the shared `piko-mpplus-xml/`):
 * elements with attributes and no text content. A general XML parser would be a new dependency for a fixed,
 * small format and would reject the one real sample whose redaction put typographic quotes around attribute
 * values. Here those quotes are accepted as delimiters (any of „ “ ” ‚ ‘ ’ opens, any quote closes) with a
 * warning: the malformation sits in identity attributes, and refusing the document would throw the
 * measurements away. Anything else that is not well-nested elements is PageFormat.
 */

export interface XmlElement {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  /** The names of the enclosing elements, outermost first. */
  readonly path: readonly string[];
}

export interface XmlDocument {
  readonly elements: readonly XmlElement[];
  readonly warnings: readonly string[];
}

const TYPOGRAPHIC_QUOTES = "„“”‚‘’";
const ANY_QUOTE = `"'${TYPOGRAPHIC_QUOTES}`;
const NAME = String.raw`[A-Za-z_][\w.:-]*`;
/** Text between two tags, a tag, or a declaration/comment; `[^]` also spans line breaks. */
const TOKEN = new RegExp(String.raw`([^<]+)|<(\?[^]*?\?|!--[^]*?--)>|<(/?)(${NAME})([^<>]*?)(/?)>|(<)`, "gy");
const ATTRIBUTE = new RegExp(
  String.raw`\s+(${NAME})\s*=\s*(?:"([^"<]*)"|'([^'<]*)'|[${TYPOGRAPHIC_QUOTES}]([^${ANY_QUOTE}<]*)[${ANY_QUOTE}])`,
  "y",
);
const ENTITIES: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => ENTITIES[name]!);
}

function attributes(text: string, tag: string, warnings: string[]): Map<string, string> {
  const found = new Map<string, string>();
  ATTRIBUTE.lastIndex = 0;
  let at = 0;
  for (let match = ATTRIBUTE.exec(text); match !== null; match = ATTRIBUTE.exec(text)) {
    at = ATTRIBUTE.lastIndex;
    const [, name, double, single, typographic] = match;
    if (typographic !== undefined)
      warnings.push(`<${tag} ${name}>: typographic quotes around the value, read anyway`);
    if (!found.has(name!)) found.set(name!, decode(double ?? single ?? typographic ?? ""));
  }
  if (text.slice(at).trim() !== "") {
    throw new PageFormat(`expected attributes in <${tag}>, found '${excerpt(text.slice(at), 40)}'`);
  }
  return found;
}

/** The elements of a document in document order; throws PageFormat when it is not well-nested elements. */
export function readXmlElements(text: string): XmlDocument {
  const elements: XmlElement[] = [];
  const warnings: string[] = [];
  const open: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const match = TOKEN.exec(text);
    if (match === null) break;
    const [, between, , closing, name, attrText, selfClosing, stray] = match;
    if (between !== undefined) {
      if (between.trim() !== "")
        throw new PageFormat(`expected only elements, found text '${excerpt(between, 40)}'`);
      continue;
    }
    if (stray !== undefined)
      throw new PageFormat(`expected a tag at '${excerpt(text.slice(match.index, match.index + 40), 40)}'`);
    if (name === undefined) continue; // a declaration or comment
    if (closing === "/") {
      if (open.pop() !== name)
        throw new PageFormat(`expected well-nested XML, found an unexpected </${name}>`);
      continue;
    }
    elements.push({ name, attributes: attributes(attrText ?? "", name, warnings), path: [...open] });
    if (selfClosing !== "/") open.push(name);
  }
  if (elements.length === 0) throw new PageFormat(`expected an XML document, found '${excerpt(text, 40)}'`);
  // A document cut short would lose its last elements silently.
  if (open.length > 0)
    throw new PageFormat(`expected a whole XML document, found <${open.join("><")}> not closed`);
  return { elements, warnings };
}
