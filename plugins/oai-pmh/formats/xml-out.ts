/**
 * A minimal element tree for building records: elements without text or child elements are
 * dropped when they are made, so a crosswalk can write `el('note', {}, value)` without checking
 * that `value` is there. Text and attribute values lose the characters XML 1.0 cannot carry.
 */
import { escapeXmlAttr, escapeXmlText, stripIllegalXmlChars } from '../../inventory/records/xml-chars';

export interface XmlNode {
  name: string;
  /** Attributes in writing order; undefined values were left out. */
  attrs: [string, string][];
  children: XmlChild[];
}
export type XmlChild = XmlNode | string;
type ChildInput = XmlChild | null | undefined | false | ChildInput[];
export type XmlAttrs = Record<string, string | undefined | null | false>;

/** Collapses whitespace runs and trims; values of illegal XML characters come out empty. */
export function clean(s: string | undefined | null): string {
  return s ? stripIllegalXmlChars(s).replace(/\s+/g, ' ').trim() : '';
}

/** An element, or null when it would be empty (no non-blank text, no child element). */
export function el(name: string, attrs: XmlAttrs | null, ...children: ChildInput[]): XmlNode | null {
  const kids: XmlChild[] = [];
  const add = (c: ChildInput): void => {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) for (const x of c) add(x);
    else if (typeof c === 'string') {
      const t = clean(c);
      if (t) kids.push(t);
    } else kids.push(c);
  };
  add(children);
  if (!kids.length) return null;
  const a: [string, string][] = [];
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      const value = clean(v);
      if (value) a.push([k, value]);
    }
  }
  return { name, attrs: a, children: kids };
}

/** Like `el`, but keeps the text exactly (only illegal characters removed): for MODS nonSort, whose trailing space matters. */
export function rawTextEl(name: string, text: string): XmlNode | null {
  const t = stripIllegalXmlChars(text);
  return t.trim() ? { name, attrs: [], children: [t] } : null;
}

/**
 * Serializes elements, two spaces of indentation per level. Every element holds either text or
 * elements (never both), so the indentation adds no text to any value.
 */
export function writeXml(node: XmlNode, rootAttrs = '', depth = 0, out: string[] = []): string[] {
  const pad = '  '.repeat(depth);
  let open = `${pad}<${node.name}${depth === 0 ? rootAttrs : ''}`;
  for (const [k, v] of node.attrs) open += ` ${k}="${escapeXmlAttr(v)}"`;
  const only = node.children.length === 1 ? node.children[0] : undefined;
  if (typeof only === 'string') {
    out.push(`${open}>${escapeXmlText(only)}</${node.name}>`);
    return out;
  }
  out.push(`${open}>`);
  for (const c of node.children) {
    if (typeof c === 'string') out.push(`${pad}  ${escapeXmlText(c)}`);
    else writeXml(c, '', depth + 1, out);
  }
  out.push(`${pad}</${node.name}>`);
  return out;
}
