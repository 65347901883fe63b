import { stripIllegalXmlChars } from './xml-text';

/** Escape text for XML content and attribute values, dropping characters XML 1.0 forbids. */
export function esc(s: string): string {
  return stripIllegalXmlChars(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

export const OAI_NS = 'http://www.openarchives.org/OAI/2.0/';
const SCHEMA = 'http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd';

/** The envelope of every response: declaration, stylesheet, root, responseDate and request. */
export function envelope(opts: { responseDate: string; baseUrl: string; stylesheet: string; args: Record<string, string> | null; body: string }): string {
  const attrs = opts.args ? Object.entries(opts.args).map(([k, v]) => ` ${k}="${esc(v)}"`).join('') : '';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<?xml-stylesheet type="text/xsl" href="${esc(opts.stylesheet)}"?>\n` +
    `<OAI-PMH xmlns="${OAI_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="${SCHEMA}">\n` +
    `<responseDate>${opts.responseDate}</responseDate>\n` +
    `<request${attrs}>${esc(opts.baseUrl)}</request>\n` +
    opts.body +
    '</OAI-PMH>\n'
  );
}

export function errorBody(code: string, message: string): string {
  return `<error code="${code}">${esc(message)}</error>\n`;
}
