import { SaxesParser } from 'saxes';
import { RecordError } from './record-error';
import { findInvalidUtf8, strictDecoder } from './text-decoding';
import { escapeXmlAttr, escapeXmlText } from './xml-chars';

export const NS = {
  marc: 'http://www.loc.gov/MARC21/slim',
  mods: 'http://www.loc.gov/mods/v3',
  mets: 'http://www.loc.gov/METS/',
  oaiDc: 'http://www.openarchives.org/OAI/2.0/oai_dc/',
  dc: 'http://purl.org/dc/elements/1.1/',
  dcterms: 'http://purl.org/dc/terms/',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  xml: 'http://www.w3.org/XML/1998/namespace',
} as const;

export interface XmlAttribute {
  uri: string;
  prefix: string;
  local: string;
  value: string;
}

/** A parsed element; text children are plain strings (adjacent text and CDATA merged). */
export interface XmlElement {
  uri: string;
  prefix: string;
  local: string;
  attrs: XmlAttribute[];
  children: XmlNode[];
  /** 1-based position of the start tag's '<'. */
  line: number;
  column: number;
}
export type XmlNode = XmlElement | string;

/**
 * Decodes an XML body: the Content-Type charset wins (RFC 7303 section 3), then a byte order mark,
 * then the encoding declaration, else UTF-8. Bytes that do not decode are a fault.
 */
export function decodeXmlBody(body: Buffer, charset?: string): string {
  let label = charset;
  let start = 0;
  if (!label) {
    if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) {
      label = 'utf-8';
      start = 3;
    } else if (body[0] === 0xff && body[1] === 0xfe) label = 'utf-16le';
    else if (body[0] === 0xfe && body[1] === 0xff) label = 'utf-16be';
    else {
      const head = body.subarray(0, 512).toString('latin1');
      label = /^\s*<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/.exec(head)?.[1] ?? 'utf-8';
    }
  }
  const decoder = strictDecoder(label);
  if (decoder.encoding === 'utf-8') {
    const bad = findInvalidUtf8(body, start);
    if (bad >= 0) {
      const line = body.subarray(0, bad).toString('latin1').split('\n').length;
      throw new RecordError('xml-encoding-invalid', `byte 0x${hex(body[bad])} is not valid UTF-8`, { offset: bad, line });
    }
  }
  try {
    return decoder.decode(body.subarray(start));
  } catch {
    throw new RecordError('xml-encoding-invalid', `the body is not valid ${decoder.encoding}`);
  }
}

const hex = (b: number | undefined): string => (b ?? 0).toString(16).toUpperCase().padStart(2, '0');

/** Parses a whole document into a tree (namespace-aware, strict); not well-formed -> RecordError 'xml-not-well-formed'. */
export function parseXml(text: string): XmlElement {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let startLine = 1;
  let startColumn = 1;
  const addText = (t: string): void => {
    const parent = stack[stack.length - 1];
    if (!parent) return; // whitespace around the root element
    const last = parent.children.length - 1;
    if (typeof parent.children[last] === 'string') parent.children[last] += t;
    else parent.children.push(t);
  };
  parser.on('error', (err) => {
    const detail = err.message.replace(/^\d+:\d+: /, '').replace(/\.$/, '');
    throw new RecordError('xml-not-well-formed', `not well-formed XML: ${detail}`, { line: parser.line, column: parser.column + 1 });
  });
  parser.on('opentagstart', (tag) => {
    // saxes has read "<", the name and the character that ended it; columns are 0-based.
    startLine = parser.line;
    startColumn = Math.max(1, parser.column - tag.name.length - 1);
  });
  parser.on('opentag', (tag) => {
    const el: XmlElement = {
      uri: tag.uri,
      prefix: tag.prefix,
      local: tag.local,
      attrs: Object.values(tag.attributes)
        .filter((a) => a.prefix !== 'xmlns' && a.name !== 'xmlns')
        .map((a) => ({ uri: a.uri, prefix: a.prefix, local: a.local, value: a.value })),
      children: [],
      line: startLine,
      column: startColumn,
    };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else root = el;
    stack.push(el);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.write(text).close();
  if (!root) throw new RecordError('xml-not-well-formed', 'not well-formed XML: there is no root element', { line: 1, column: 1 });
  return root;
}

/** Child elements, optionally only those with this namespace and local name. */
export function childElements(el: XmlElement, uri?: string, local?: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) {
    if (typeof c === 'string') continue;
    if (uri !== undefined && c.uri !== uri) continue;
    if (local !== undefined && c.local !== local) continue;
    out.push(c);
  }
  return out;
}

/** First matching child element. */
export function firstChild(el: XmlElement, uri: string, local: string): XmlElement | undefined {
  return childElements(el, uri, local)[0];
}

/** All text inside the element, in document order. */
export function textContent(el: XmlElement): string {
  let s = '';
  for (const c of el.children) s += typeof c === 'string' ? c : textContent(c);
  return s;
}

/** Value of an attribute (unqualified unless `uri` is given). */
export function attr(el: XmlElement, local: string, uri = ''): string | undefined {
  return el.attrs.find((a) => a.local === local && a.uri === uri)?.value;
}

/** Every descendant element (depth first, document order) that matches the predicate; does not descend into matches. */
export function findElements(el: XmlElement, match: (e: XmlElement) => boolean): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    for (const c of e.children) {
      if (typeof c === 'string') continue;
      if (match(c)) out.push(c);
      else walk(c);
    }
  };
  walk(el);
  return out;
}

/**
 * Serializes an element as a standalone fragment that declares every namespace it uses.
 * Elements in `defaultUri` are written without a prefix (that namespace becomes the default);
 * others keep the prefix they had. Comments and processing instructions were not kept.
 */
export function serializeElement(root: XmlElement, defaultUri: string): string {
  const out: string[] = [];
  const write = (el: XmlElement, scope: Map<string, string>, defaultNs: string): void => {
    const decls: string[] = [];
    const local = new Map(scope);
    let dflt = defaultNs;
    let name: string;
    if (el.uri === defaultUri || el.prefix === '') {
      name = el.local;
      if (el.uri !== dflt) {
        decls.push(` xmlns="${escapeXmlAttr(el.uri)}"`);
        dflt = el.uri;
      }
    } else {
      name = `${el.prefix}:${el.local}`;
      if (local.get(el.prefix) !== el.uri) {
        decls.push(` xmlns:${el.prefix}="${escapeXmlAttr(el.uri)}"`);
        local.set(el.prefix, el.uri);
      }
    }
    const attrs: string[] = [];
    for (const a of el.attrs) {
      if (a.prefix && a.prefix !== 'xml' && local.get(a.prefix) !== a.uri) {
        decls.push(` xmlns:${a.prefix}="${escapeXmlAttr(a.uri)}"`);
        local.set(a.prefix, a.uri);
      }
      attrs.push(` ${a.prefix ? `${a.prefix}:` : ''}${a.local}="${escapeXmlAttr(a.value)}"`);
    }
    out.push(`<${name}${decls.join('')}${attrs.join('')}`);
    if (!el.children.length) {
      out.push('/>');
      return;
    }
    out.push('>');
    for (const c of el.children) {
      if (typeof c === 'string') out.push(escapeXmlText(c));
      else write(c, local, dflt);
    }
    out.push(`</${name}>`);
  };
  write(root, new Map([['xml', NS.xml]]), '');
  return out.join('');
}
