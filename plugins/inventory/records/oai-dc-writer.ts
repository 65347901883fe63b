import { DC_ELEMENTS, type DublinCore } from '../../../core/db/entities/title.entity';
import { escapeXmlText, stripIllegalXmlChars } from './xml-chars';
import { NS } from './xml-tree';

/** Writes Dublin Core as an <oai_dc:dc> element (OAI-PMH oai_dc schema), elements in DC order. */
export function dcToOaiDcXml(dc: DublinCore): string {
  const out = [
    `<oai_dc:dc xmlns:oai_dc="${NS.oaiDc}" xmlns:dc="${NS.dc}" xmlns:xsi="${NS.xsi}" ` +
      `xsi:schemaLocation="${NS.oaiDc} http://www.openarchives.org/OAI/2.0/oai_dc.xsd">`,
  ];
  for (const element of DC_ELEMENTS) {
    for (const value of dc[element] ?? []) out.push(`  <dc:${element}>${escapeXmlText(stripIllegalXmlChars(value))}</dc:${element}>`);
  }
  out.push('</oai_dc:dc>');
  return out.join('\n');
}
