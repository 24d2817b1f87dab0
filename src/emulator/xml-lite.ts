/**
 * A small non-validating XML parser: elements, attributes, text (entities decoded), CDATA; skips the
 * declaration, processing instructions, comments and DOCTYPE. Namespace prefixes are dropped from names.
 */

export interface XmlElement {
  readonly name: string;
  readonly attrs: ReadonlyMap<string, string>;
  readonly children: XmlElement[];
  text: string;
}

export class XmlError extends Error {}

const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (all, ent: string) => {
    if (ent.startsWith('#x')) return String.fromCodePoint(parseInt(ent.slice(2), 16));
    if (ent.startsWith('#')) return String.fromCodePoint(parseInt(ent.slice(1), 10));
    return ENTITIES[ent] ?? all;
  });
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' }[c]};`);
}

const localName = (name: string): string => name.slice(name.indexOf(':') + 1);

function skipTo(src: string, from: number, marker: string): number {
  const i = src.indexOf(marker, from);
  if (i < 0) throw new XmlError(`unterminated construct, expected ${marker}`);
  return i + marker.length;
}

export function parseXml(src: string): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let i = 0;
  const attrRe = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const textEnd = lt < 0 ? src.length : lt;
    if (textEnd > i && stack.length > 0) stack[stack.length - 1]!.text += decodeEntities(src.slice(i, textEnd));
    if (lt < 0) break;
    if (src.startsWith('<!--', lt)) i = skipTo(src, lt, '-->');
    else if (src.startsWith('<![CDATA[', lt)) {
      const end = skipTo(src, lt, ']]>');
      if (stack.length > 0) stack[stack.length - 1]!.text += src.slice(lt + 9, end - 3);
      i = end;
    } else if (src.startsWith('<?', lt)) i = skipTo(src, lt, '?>');
    else if (src.startsWith('<!', lt)) i = skipTo(src, lt, '>');
    else if (src.startsWith('</', lt)) {
      const end = skipTo(src, lt, '>');
      const name = localName(src.slice(lt + 2, end - 1).trim());
      const open = stack.pop();
      if (open?.name !== name) throw new XmlError(`mismatched closing tag </${name}>`);
      i = end;
    } else {
      const end = skipTo(src, lt, '>');
      let body = src.slice(lt + 1, end - 1);
      const selfClosing = body.endsWith('/');
      if (selfClosing) body = body.slice(0, -1);
      const nameMatch = /^[^\s/>]+/.exec(body);
      if (nameMatch === null) throw new XmlError('empty tag');
      const attrs = new Map<string, string>();
      attrRe.lastIndex = 0;
      const rest = body.slice(nameMatch[0].length);
      for (let m = attrRe.exec(rest); m !== null; m = attrRe.exec(rest)) {
        attrs.set(localName(m[1]!), decodeEntities(m[2] ?? m[3] ?? ''));
      }
      const el: XmlElement = { name: localName(nameMatch[0]), attrs, children: [], text: '' };
      if (stack.length > 0) stack[stack.length - 1]!.children.push(el);
      else if (root === undefined) root = el;
      else throw new XmlError('more than one root element');
      if (!selfClosing) stack.push(el);
      i = end;
    }
  }
  if (root === undefined) throw new XmlError('no root element');
  if (stack.length > 0) throw new XmlError(`unclosed element <${stack[stack.length - 1]!.name}>`);
  return root;
}

export const childrenNamed = (el: XmlElement, name: string): XmlElement[] => el.children.filter((c) => c.name === name);
export const firstChild = (el: XmlElement | undefined, name: string): XmlElement | undefined =>
  el?.children.find((c) => c.name === name);
