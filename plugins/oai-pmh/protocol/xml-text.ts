// Characters XML 1.0 does not allow: C0 controls but tab, LF, CR; lone surrogates; U+FFFE, U+FFFF.
// eslint-disable-next-line no-control-regex
const ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Remove characters that may not appear in an XML 1.0 document. */
export function stripIllegalXmlChars(s: string): string {
  return s.replace(ILLEGAL, '');
}
