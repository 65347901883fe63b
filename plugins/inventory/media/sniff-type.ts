import path from 'node:path';

/** A content type decided from the bytes of a file. */
export interface SniffedType {
  mimeType: string;
  /** Usual file extension without the dot, or null when there is none (octet-stream). */
  extension: string | null;
  /** How it was decided: a binary signature, analysis of text content, or nothing matched. */
  by: 'signature' | 'text' | 'fallback';
}

/** How many leading bytes sniffType needs: file-type's "reasonable detection size". */
export const SNIFF_BYTES = 4100;

/**
 * file-type is ESM-only; tsc (module node20, CommonJS output) keeps this `import()` as a real
 * dynamic import rather than rewriting it to `require`.
 */
const importFileType = () => import('file-type');
let fileTypeModule: ReturnType<typeof importFileType> | undefined;

const OCTET_STREAM: SniffedType = { mimeType: 'application/octet-stream', extension: null, by: 'fallback' };

/**
 * Decide the type of a file from its first bytes (at least SNIFF_BYTES of them when the file is
 * that long), never from what a client claims. The filename's extension is only a hint among
 * text types (CSV vs TSV vs Markdown vs plain text).
 */
export async function sniffType(head: Buffer, filename?: string): Promise<SniffedType> {
  if (head.length === 0) return OCTET_STREAM;
  const { fileTypeFromBuffer } = await (fileTypeModule ??= importFileType());
  // A detector tripping over hostile bytes must not fail an upload: treat it as "no match".
  const found = await fileTypeFromBuffer(head).catch(() => undefined);
  // file-type's XML answer is generic; the text analysis below tells SVG/XHTML/XML apart.
  if (found && found.mime !== 'application/xml') {
    return { mimeType: found.mime, extension: found.ext, by: 'signature' };
  }
  const own = ownSignature(head);
  if (own) return own;
  const text = decodeText(head);
  if (text !== null) return sniffText(text, hintExtension(filename));
  // WHATWG MIME Sniffing §7.1 matches "<?xml" before looking for binary bytes: an XML file with a
  // stray control character or a bad UTF-8 sequence is still (broken) XML, not a binary blob.
  const lenient = new TextDecoder('utf-8').decode(head).replace(/^\uFEFF/, '').trimStart();
  if (lenient.startsWith('<?xml')) return { ...(sniffMarkup(lenient) ?? XML), by: 'text' };
  return OCTET_STREAM;
}

/** Signatures file-type misses on a short head, or does not know. */
function ownSignature(head: Buffer): SniffedType | undefined {
  // TIFF whose first IFD lies beyond the head (common: scanners write the IFD last), where
  // file-type gives up because it cannot read the IFD to rule out raw camera formats.
  const magic = head.subarray(0, 4).toString('latin1');
  if (magic === 'II*\0' || magic === 'MM\0*' || magic === 'II+\0' || magic === 'MM\0+') {
    return { mimeType: 'image/tiff', extension: 'tif', by: 'signature' };
  }
  if (isIso2709(head)) return { mimeType: 'application/marc', extension: 'mrc', by: 'signature' };
  return undefined;
}

/**
 * An ISO 2709 (MARC 21) record: a 24-byte leader with the record length and the base address of
 * data, a directory of 12-digit entries and a field terminator (0x1E) just before the base
 * address. Leader positions 10–11 and 21–23 are not checked: real records often get them wrong.
 */
function isIso2709(head: Buffer): boolean {
  const leader = /^(\d{5})[\x20-\x7e]{7}(\d{5})[\x20-\x7e]{3}4/.exec(head.subarray(0, 24).toString('latin1'));
  if (!leader) return false;
  const [length, base] = [Number(leader[1]), Number(leader[2])];
  if (base < 24 + 12 + 1 || base > length || (base - 25) % 12 !== 0) return false;
  const directory = head.subarray(24, Math.min(base - 1, head.length)).toString('latin1');
  return /^\d*$/.test(directory) && (base - 1 >= head.length || head[base - 1] === 0x1e);
}

/** The file name's extension, lower case, without the dot ('' when none). */
function hintExtension(filename: string | undefined): string {
  return filename ? path.extname(filename).slice(1).toLowerCase() : '';
}

/**
 * The head as text, or null when it is binary: a byte-order-marked UTF-16 text, or valid UTF-8
 * without "binary data bytes" (WHATWG MIME Sniffing §7.2: 0x00–0x08, 0x0B, 0x0E–0x1A, 0x1C–0x1F).
 */
function decodeText(head: Buffer): string | null {
  let bytes = head;
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return decodeUtf16(bytes.subarray(2), 'utf-16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return decodeUtf16(bytes.subarray(2), 'utf-16be');
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  for (const b of bytes) {
    if (b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f)) return null;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(dropPartialUtf8(bytes));
  } catch {
    return null;
  }
}

function decodeUtf16(bytes: Buffer, encoding: 'utf-16le' | 'utf-16be'): string | null {
  let text: string;
  try {
    // An odd trailing byte is the head cutting a code unit in two.
    text = new TextDecoder(encoding, { fatal: false }).decode(bytes.subarray(0, bytes.length - (bytes.length % 2)));
  } catch {
    return null;
  }
  // eslint-disable-next-line no-control-regex -- looking for exactly those control characters
  return /[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]/.test(text) ? null : text;
}

/** Cut an incomplete UTF-8 sequence at the end (the head may end mid-character). */
function dropPartialUtf8(bytes: Buffer): Buffer {
  const n = bytes.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const b = bytes[n - back];
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back for the lead byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? bytes.subarray(0, n - back) : bytes;
  }
  return bytes;
}

// Text types that only the file name can tell apart from plain text.
const TEXT_BY_EXTENSION: Record<string, { mimeType: string; extension: string }> = {
  csv: { mimeType: 'text/csv', extension: 'csv' },
  tsv: { mimeType: 'text/tab-separated-values', extension: 'tsv' },
  tab: { mimeType: 'text/tab-separated-values', extension: 'tsv' },
  md: { mimeType: 'text/markdown', extension: 'md' },
  markdown: { mimeType: 'text/markdown', extension: 'md' },
};

function sniffText(raw: string, ext: string): SniffedType {
  const text = raw.replace(/^\uFEFF/, '');
  const trimmed = text.trimStart();
  const as = (mimeType: string, extension: string): SniffedType => ({ mimeType, extension, by: 'text' });

  if (trimmed.startsWith('<')) {
    const markup = sniffMarkup(trimmed);
    if (markup) return as(markup.mimeType, markup.extension);
  }
  if (looksLikeJson(trimmed)) {
    if (ext === 'jsonld') return as('application/ld+json', 'jsonld');
    if (ext === 'geojson') return as('application/geo+json', 'geojson');
    return as('application/json', 'json');
  }
  const hinted = TEXT_BY_EXTENSION[ext];
  if (hinted) return as(hinted.mimeType, hinted.extension);
  const delimiter = delimitedBy(text);
  if (delimiter === ',') return as('text/csv', 'csv');
  if (delimiter === '\t') return as('text/tab-separated-values', 'tsv');
  return as('text/plain', 'txt');
}

const XML = { mimeType: 'application/xml', extension: 'xml' };
const SVG_NS = 'http://www.w3.org/2000/svg';
const XHTML_NS = 'http://www.w3.org/1999/xhtml';

/**
 * XML (and HTML) by the root element: skip the XML declaration, processing instructions,
 * comments and the DOCTYPE (with its internal subset), then read the first start tag.
 */
function sniffMarkup(text: string): { mimeType: string; extension: string } | undefined {
  let rest = text;
  let sawXmlDecl = false;
  let doctype = '';
  for (let guard = 0; guard < 1000; guard++) {
    rest = rest.trimStart();
    if (rest.startsWith('<?')) {
      if (/^<\?xml\s/.test(rest)) sawXmlDecl = true;
      const end = rest.indexOf('?>');
      if (end < 0) break;
      rest = rest.slice(end + 2);
    } else if (rest.startsWith('<!--')) {
      const end = rest.indexOf('-->');
      if (end < 0) break;
      rest = rest.slice(end + 3);
    } else if (/^<!doctype/i.test(rest)) {
      const end = doctypeEnd(rest);
      if (end < 0) break;
      doctype = rest.slice(0, end);
      rest = rest.slice(end);
    } else {
      break;
    }
  }
  const start = /^<((?:[\p{L}_][-\p{L}\p{N}_.]*:)?([\p{L}_][-\p{L}\p{N}_.]*))([\s/>][^>]*)?/u.exec(rest);
  const isHtmlDoctype = /^<!doctype\s+html\b/i.test(doctype);
  if (!start) {
    // A head that ends inside a long prolog: the declaration alone still says XML.
    if (isHtmlDoctype) return { mimeType: 'text/html', extension: 'html' };
    return sawXmlDecl || doctype ? { mimeType: 'application/xml', extension: 'xml' } : undefined;
  }
  const [, qname, local, attrs = ''] = start;
  const prefix = qname.includes(':') ? qname.slice(0, qname.indexOf(':')) : '';
  const nsAttr = prefix ? `xmlns:${prefix}` : 'xmlns';
  const ns = new RegExp(`\\s${nsAttr.replace('.', '\\.')}\\s*=\\s*["']([^"']*)["']`).exec(attrs)?.[1];

  if (local === 'svg' && (ns === undefined || ns === SVG_NS)) return { mimeType: 'image/svg+xml', extension: 'svg' };
  if (local.toLowerCase() === 'html') {
    return ns === XHTML_NS && (sawXmlDecl || prefix)
      ? { mimeType: 'application/xhtml+xml', extension: 'xhtml' }
      : { mimeType: 'text/html', extension: 'html' };
  }
  if (isHtmlDoctype || /^(head|body)$/i.test(local)) return { mimeType: 'text/html', extension: 'html' };
  // Anything else is XML only if it is well on its way to being well-formed: a declaration, a
  // DOCTYPE, or a namespace; a bare "<b>bold</b> text" stays plain text.
  if (sawXmlDecl || doctype || /\sxmlns(:[\w.-]+)?\s*=/.test(attrs) || closesRoot(rest, qname)) {
    return { mimeType: 'application/xml', extension: 'xml' };
  }
  return undefined;
}

/** Index just past a DOCTYPE declaration, skipping its [internal subset]; -1 if cut off. */
function doctypeEnd(s: string): number {
  let inSubset = false;
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[') inSubset = true;
    else if (c === ']') inSubset = false;
    else if (c === '>' && !inSubset) return i + 1;
  }
  return -1;
}

/** True when the document ends with the root's end tag (a complete little XML file). */
function closesRoot(rest: string, qname: string): boolean {
  return rest.trimEnd().endsWith(`</${qname}>`) || /^<[^>]*\/>\s*$/.test(rest);
}

/**
 * JSON objects and arrays (a bare string or number is left as text). A complete head must
 * parse; a head cut short must parse up to its end, which V8 reports as an error at the very end.
 */
function looksLikeJson(text: string): boolean {
  if (!/^(\{\s*("|\})|\[\s*([-\d{["tfn\]]))/.test(text)) return false;
  const body = text.trimEnd();
  try {
    JSON.parse(body);
    return true;
  } catch (err) {
    const message = err instanceof Error ? err.message : '';
    if (message.includes('Unexpected end of JSON input')) return true;
    const at = /at position (\d+)/.exec(message);
    return at !== null && Number(at[1]) >= body.length;
  }
}

/**
 * ',' or '\t' when every complete line (at least three) has the same number, at least one, of
 * that delimiter outside double quotes; the last line is ignored when the head may be cut.
 */
function delimitedBy(text: string): ',' | '\t' | undefined {
  const lines = text.split(/\r\n|\n|\r/);
  if (!/[\r\n]$/.test(text)) lines.pop(); // incomplete (or unterminated) last line
  const complete = lines.filter((l) => l.length > 0);
  if (complete.length < 3) return undefined;
  for (const d of ['\t', ','] as const) {
    const counts = complete.map((l) => countOutsideQuotes(l, d));
    if (counts[0] > 0 && counts.every((c) => c === counts[0])) return d;
  }
  return undefined;
}

function countOutsideQuotes(line: string, d: string): number {
  let n = 0;
  let quoted = false;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    else if (c === d && !quoted) n++;
  }
  return n;
}
