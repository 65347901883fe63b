/** MARCXML reader (https://www.loc.gov/standards/marcxml/), namespace-aware and strict. */
import type { ReadMarcRecord } from './iso2709-reader';
import type { MarcField, MarcRecord, MarcSubfield } from './marc-record';
import { finishIndicator, finishLeader, finishSubfieldCode, isValidDataTag } from './marc-validation';
import { RecordError } from './record-error';
import { CharScrubber } from './xml-chars';
import { attr, childElements, findElements, NS, parseXml, textContent, type XmlElement } from './xml-tree';

/** Reads every MARCXML record of a document (<record>, <collection>, or records wrapped in e.g. an SRU response). */
export function readMarcXml(xml: string): MarcRecord[] {
  return readMarcXmlRecords(parseXml(xml)).map((r) => r.record);
}

/** True for elements in the MARC 21 slim namespace or in no namespace (older MARCXML). */
const inMarcNs = (el: XmlElement): boolean => el.uri === NS.marc || el.uri === '';

/** True if the element is a MARCXML <record> or <collection>. */
export function isMarcXmlRoot(el: XmlElement): boolean {
  return inMarcNs(el) && (el.local === 'record' || el.local === 'collection') && (el.uri === NS.marc || hasMarcContent(el));
}

function hasMarcContent(el: XmlElement): boolean {
  if (el.local === 'record') return childElements(el, el.uri, 'leader').length > 0;
  return childElements(el, el.uri, 'record').some(hasMarcContent);
}

/** Like readMarcXml, from a parsed document, keeping each record's warnings. */
export function readMarcXmlRecords(root: XmlElement): ReadMarcRecord[] {
  let recordElements: XmlElement[];
  const wrapperWarnings: string[] = [];
  if (inMarcNs(root) && root.local === 'record') recordElements = [root];
  else if (inMarcNs(root) && root.local === 'collection') {
    recordElements = childElements(root, root.uri, 'record');
    const others = childElements(root).filter((e) => !(e.uri === root.uri && e.local === 'record'));
    if (others.length) wrapperWarnings.push(`ignored ${others.length} element(s) in <collection> that are not <record>s (first: <${others[0]?.local}>)`);
  } else {
    // A wrapper such as an SRU searchRetrieveResponse: take the MARCXML records inside it.
    recordElements = findElements(root, (e) => inMarcNs(e) && e.local === 'record' && childElements(e, e.uri, 'leader').length > 0);
    if (!recordElements.length) {
      throw new RecordError('not-a-record', `no MARCXML <record> found: the root element is <${root.local}>${root.uri ? ` in namespace ${root.uri}` : ''}`, {
        line: root.line,
        column: root.column,
      });
    }
    wrapperWarnings.push(`MARCXML record taken from inside <${root.local}>`);
  }
  if (!recordElements.length) {
    throw new RecordError('no-records', 'the MARCXML <collection> holds no <record>', { line: root.line, column: root.column });
  }
  return recordElements.map((el, i) => {
    const read = readRecordElement(el, i + 1);
    read.warnings.unshift(...wrapperWarnings);
    return read;
  });
}

function readRecordElement(el: XmlElement, number: number): ReadMarcRecord {
  const at = (e: XmlElement): { record: number; line: number; column: number } => ({ record: number, line: e.line, column: e.column });
  const warnings: string[] = [];
  const repairs: string[] = [];
  const scrubber = new CharScrubber();
  const value = (e: XmlElement, place: string): string => scrubber.scrub(textContent(e).normalize('NFC'), place);
  let leader: string | undefined;
  const fields: MarcField[] = [];
  const ignored = new Set<string>();
  for (const child of childElements(el)) {
    if (child.uri !== el.uri) {
      ignored.add(child.local);
      continue;
    }
    switch (child.local) {
      case 'leader':
        if (leader !== undefined) throw new RecordError('marcxml-leader-invalid', 'the record has more than one <leader>', at(child));
        leader = finishLeader(value(child, 'leader'), at(child), warnings);
        break;
      case 'controlfield': {
        const tag = requireTag(child, at(child));
        if (!/^00[1-9A-Za-z]$/.test(tag)) throw new RecordError('marcxml-tag-invalid', `<controlfield tag="${tag}">: a control field tag is 001-009`, at(child));
        fields.push({ tag, value: value(child, tag) });
        break;
      }
      case 'datafield': {
        const tag = requireTag(child, at(child));
        if (!isValidDataTag(tag)) throw new RecordError('marcxml-tag-invalid', `<datafield tag="${tag}">: not a data field tag (010-999 or a local alphanumeric tag)`, at(child));
        const ind = (n: 1 | 2): string => {
          const v = attr(child, `ind${n}`);
          if (v === undefined || [...v].length !== 1) {
            throw new RecordError('marcxml-indicator-invalid', `<datafield tag="${tag}"> needs an ind${n} attribute of one character, found ${v === undefined ? 'none' : JSON.stringify(v)}`, at(child));
          }
          return finishIndicator(v, tag, n, repairs);
        };
        const ind1 = ind(1);
        const ind2 = ind(2);
        const subfields: MarcSubfield[] = [];
        for (const sf of childElements(child)) {
          if (sf.uri !== el.uri || sf.local !== 'subfield') {
            ignored.add(sf.local);
            continue;
          }
          const code = attr(sf, 'code');
          if (code === undefined || code === '') {
            throw new RecordError('marcxml-subfield-code-missing', `a <subfield> of field ${tag} has no code attribute`, at(sf));
          }
          if ([...code].length !== 1) throw new RecordError('marcxml-subfield-code-invalid', `field ${tag}: subfield code ${JSON.stringify(code)} is not one character`, at(sf));
          const text = value(sf, tag);
          const kept = finishSubfieldCode(code, text, tag, repairs);
          if (kept !== null) subfields.push({ code: kept, value: text });
        }
        if (!subfields.length) {
          repairs.push(`field ${tag} has no subfields and was dropped`);
          break;
        }
        fields.push({ tag, ind1, ind2, subfields });
        break;
      }
      default:
        ignored.add(child.local);
    }
  }
  if (leader === undefined) throw new RecordError('marcxml-leader-missing', 'the <record> has no <leader>', at(el));
  if (ignored.size) warnings.push(`ignored element(s) that are not MARCXML: ${[...ignored].map((n) => `<${n}>`).join(', ')}`);
  warnings.push(...repairs);
  const scrubbed = scrubber.warning();
  if (scrubbed) warnings.push(scrubbed);
  return { record: { leader, fields }, warnings };
}

function requireTag(el: XmlElement, where: { record: number; line: number; column: number }): string {
  const tag = attr(el, 'tag');
  if (!tag) throw new RecordError('marcxml-tag-missing', `a <${el.local}> has no tag attribute`, where);
  return tag;
}
