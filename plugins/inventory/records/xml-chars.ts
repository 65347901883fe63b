/**
 * Characters XML 1.0 cannot carry (https://www.w3.org/TR/xml/#charsets): C0 controls other than
 * tab, LF and CR, U+FFFE, U+FFFF and unpaired surrogates.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const HAS_ILLEGAL = new RegExp(ILLEGAL.source);

/** Removes characters XML 1.0 cannot carry (no report; see CharScrubber for the reporting kind). */
export function stripIllegalXmlChars(s: string): string {
  return HAS_ILLEGAL.test(s) ? s.replace(ILLEGAL, '') : s;
}

/**
 * Strips characters illegal in XML from the values of one record and remembers what it removed
 * and where, so the record gets one warning instead of one per value.
 */
export class CharScrubber {
  private count = 0;
  private readonly codes = new Set<string>();
  private readonly places = new Set<string>();

  /** Returns `s` without illegal characters; `place` names the value in the warning (e.g. "245"). */
  scrub(s: string, place: string): string {
    if (!HAS_ILLEGAL.test(s)) return s;
    return s.replace(ILLEGAL, (ch) => {
      this.count++;
      this.codes.add('U+' + (ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0'));
      this.places.add(place);
      return '';
    });
  }

  /** The warning for everything removed so far, or null if nothing was. */
  warning(): string | null {
    if (!this.count) return null;
    const codes = [...this.codes].slice(0, 5).join(', ') + (this.codes.size > 5 ? ', ...' : '');
    const places = [...this.places].slice(0, 8).join(', ') + (this.places.size > 8 ? ', ...' : '');
    return `removed ${this.count} character(s) not allowed in XML 1.0 (${codes}) from ${places}`;
  }
}

/** Escapes text content. CR is written as a reference so that it survives XML line-end normalization. */
export function escapeXmlText(s: string): string {
  return s.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;'));
}

/** Escapes an attribute value (double-quoted); whitespace controls become references so they survive attribute normalization. */
export function escapeXmlAttr(s: string): string {
  return s.replace(/[&<>"\t\n\r]/g, (c) => {
    switch (c) {
      case '&': return '&amp;';
      case '<': return '&lt;';
      case '>': return '&gt;';
      case '"': return '&quot;';
      default: return `&#${c.charCodeAt(0)};`;
    }
  });
}
