/**
 * An XML document (a DASH MPD: a file a user hands us) as a tree of elements, read with
 * fast-xml-parser and configured for hostile input:
 * - well-formedness is checked first by its validator (unclosed or mismatched tags, bad attributes);
 *   exactly one root element;
 * - namespace prefixes are dropped from element and attribute names (`mpd:SegmentURL` is `SegmentURL`);
 * - the five XML entities and character references are decoded in text and attribute values (the
 *   parser's `htmlEntities` switch is what turns character references on; it also decodes HTML's
 *   named entities);
 * - entities a DOCTYPE declares are expanded within tight limits: at most MAX_DECLARED_ENTITIES of
 *   them, each at most MAX_ENTITY_CHARS long, never an entity inside an entity (no billion laughs),
 *   never an external (SYSTEM/PUBLIC) one, and the document grows by at most MAX_EXPANSION_CHARS;
 * - elements nest at most MAX_DEPTH deep;
 * - values stay strings (no number or boolean guessing, no trimming); CDATA is text; comments,
 *   processing instructions and the declaration are skipped.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface XmlElement {
  /** Local name (no namespace prefix). */
  readonly name: string;
  /** Attributes by local name; a repeated local name keeps its last value. */
  readonly attrs: ReadonlyMap<string, string>;
  readonly children: readonly XmlElement[];
  /** The element's own text (CDATA included), its children's text excluded. */
  readonly text: string;
}

/** The document is not well-formed XML, or exceeds one of the limits above. */
export class XmlError extends Error {
  override readonly name = 'XmlError';
}

const MAX_DEPTH = 64;
const MAX_DECLARED_ENTITIES = 32;
const MAX_ENTITY_CHARS = 1024;
const MAX_EXPANSION_CHARS = 64 * 1024;

const ATTRIBUTES = ':@';
const TEXT = '#text';

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  htmlEntities: true,
  processEntities: {
    enabled: true,
    maxEntityCount: MAX_DECLARED_ENTITIES,
    maxEntitySize: MAX_ENTITY_CHARS,
    maxExpandedLength: MAX_EXPANSION_CHARS,
  },
  maxNestedTags: MAX_DEPTH,
});

/** One entry of fast-xml-parser's ordered output: an element (`{ name: children, ':@': attrs }`) or text. */
type OrderedNode = Record<string, unknown>;

export function parseXmlTree(content: string): XmlElement {
  const validation = XMLValidator.validate(content);
  if (validation !== true) {
    const { msg, line, col } = validation.err;
    throw new XmlError(col === undefined ? `${msg} (line ${line})` : `${msg} (line ${line}, column ${col})`);
  }
  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(content) as OrderedNode[];
  } catch (error) {
    throw new XmlError(error instanceof Error ? error.message : String(error));
  }
  const roots = nodes.map(toElement).filter((node) => node !== undefined);
  if (roots.length === 0) throw new XmlError('no root element');
  if (roots.length > 1) throw new XmlError('more than one root element');
  return roots[0]!;
}

function toElement(node: OrderedNode): XmlElement | undefined {
  const name = Object.keys(node).find((key) => key !== ATTRIBUTES);
  if (name === undefined || name === TEXT) return undefined;
  const content = node[name] as OrderedNode[];
  const children: XmlElement[] = [];
  let text = '';
  for (const child of content) {
    if (TEXT in child) text += String(child[TEXT]);
    else {
      const element = toElement(child);
      if (element !== undefined) children.push(element);
    }
  }
  const attrs = new Map(Object.entries((node[ATTRIBUTES] ?? {}) as Record<string, string>));
  return { name, attrs, children, text };
}

export const childrenNamed = (el: XmlElement, name: string): XmlElement[] => el.children.filter((c) => c.name === name);
export const firstChild = (el: XmlElement | undefined, name: string): XmlElement | undefined =>
  el?.children.find((c) => c.name === name);
