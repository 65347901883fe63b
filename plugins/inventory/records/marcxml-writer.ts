import { isControlField, type MarcRecord } from './marc-record';
import { escapeXmlAttr, escapeXmlText, stripIllegalXmlChars } from './xml-chars';
import { NS } from './xml-tree';

export interface MarcXmlWriteOptions {
  /** Put xmlns="http://www.loc.gov/MARC21/slim" on <record> (default true); false to embed in a <collection> that declares it. */
  namespaceDeclaration?: boolean;
}

const text = (s: string): string => escapeXmlText(stripIllegalXmlChars(s));
const attr = (s: string): string => escapeXmlAttr(stripIllegalXmlChars(s));

/**
 * Writes one MARCXML <record> (MARC 21 slim schema). The record is Unicode, so leader/09 is
 * written as "a"; the other leader positions are written as they are.
 */
export function writeMarcXml(rec: MarcRecord, opts: MarcXmlWriteOptions = {}): string {
  const ns = opts.namespaceDeclaration === false ? '' : ` xmlns="${NS.marc}"`;
  const leader = rec.leader.length >= 10 ? rec.leader.slice(0, 9) + 'a' + rec.leader.slice(10) : rec.leader;
  const out = [`<record${ns}>`, `  <leader>${text(leader)}</leader>`];
  for (const f of rec.fields) {
    if (isControlField(f)) {
      out.push(`  <controlfield tag="${attr(f.tag)}">${text(f.value)}</controlfield>`);
      continue;
    }
    out.push(`  <datafield tag="${attr(f.tag)}" ind1="${attr(f.ind1)}" ind2="${attr(f.ind2)}">`);
    for (const s of f.subfields) out.push(`    <subfield code="${attr(s.code)}">${text(s.value)}</subfield>`);
    out.push('  </datafield>');
  }
  out.push('</record>');
  return out.join('\n');
}
