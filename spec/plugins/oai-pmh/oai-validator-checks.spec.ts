import { expect } from 'chai';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SaxesParser } from 'saxes';
import { decodeXmlBody } from '../../../plugins/inventory/records/xml-tree';
import { schemasAvailable, schemasMissingReason, validateXml } from '../../helpers/xml-schema';
import { startTestApp, type TestApp } from '../../helpers/test-app';

/*
 * The checks of the openarchives.org OAI-PMH validator, HTTP::OAIPMH::Validator 1.07
 * (github.com/zimeon/oaipmh-validator, lib/HTTP/OAIPMH/Validator.pm), reproduced request by
 * request in the order of its run_complete_validation(): the same URLs built the same way
 * (including its url_encode and one_year_before), over real HTTP, and judged by the same
 * rules. Each `it` names the validator method and the log line it reproduces. The validator
 * reads responses with XML::DOM, which matches elements by qualified name and reads xmlns as
 * a plain attribute; the tiny DOM below does the same, so a provider that the validator
 * would misread is misread here too.
 *
 * The validator module does no XML Schema validation; every response is also validated
 * against the official schemas (offline copies in ../shared/schemas) at the end.
 */

/** An element as XML::DOM shows it: qualified name, raw attributes (xmlns included), children. */
interface DomElement {
  name: string;
  attrs: Record<string, string>;
  children: (DomElement | string)[];
}

/** Parse like XML::DOM (no namespace processing); not well-formed throws. */
function parseDom(xml: string): { root: DomElement; prolog: string[] } {
  const parser = new SaxesParser({ xmlns: false });
  const stack: DomElement[] = [];
  const prolog: string[] = [];
  let root: DomElement | undefined;
  parser.on('error', (err) => {
    throw new Error(`not well-formed: ${err.message}`);
  });
  parser.on('processinginstruction', (pi) => {
    if (!stack.length) prolog.push(`<?${pi.target}?>`);
  });
  parser.on('opentag', (tag) => {
    const el: DomElement = { name: tag.name, attrs: { ...tag.attributes }, children: [] };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else root = el;
    stack.push(el);
  });
  parser.on('closetag', () => void stack.pop());
  parser.on('text', (t) => {
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(t);
  });
  parser.write(xml).close();
  if (!root) throw new Error('not well-formed: no root element');
  return { root, prolog };
}

/** XML::DOM getElementsByTagName(name, recurse): descendants (or children) by qualified name. */
function byTag(el: DomElement, name: string, recurse = true): DomElement[] {
  const out: DomElement[] = [];
  for (const c of el.children) {
    if (typeof c === 'string') continue;
    if (c.name === name) out.push(c);
    if (recurse) out.push(...byTag(c, name));
  }
  return out;
}

/** XML::DOM getFirstChild->getData: the text of the first child node, undefined when empty. */
function firstData(el: DomElement | undefined): string | undefined {
  const c = el?.children[0];
  return typeof c === 'string' ? c : undefined;
}

/** The validator's url_encode(): every character outside [\w/,\- ] as %XX, spaces as '+'. */
function urlEncode(s: string): string {
  return s.replace(/[^\w/,\- ]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`).replace(/ /g, '+');
}

/** The validator's one_year_before(): the year decremented as a string. */
function oneYearBefore(date: string): string {
  const year = /^(\d{4})/.exec(date)?.[1] ?? '';
  return date.replace(year, String(Number(year) - 1).padStart(4, '0'));
}

/** The validator's get_datestamp_granularity(). */
function datestampGranularity(ds: string): 'days' | 'seconds' | null {
  let m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(ds);
  if (m) return Number(m[2]) >= 1 && Number(m[2]) <= 12 && Number(m[3]) >= 1 && Number(m[3]) <= 31 ? 'days' : null;
  m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?Z$/.exec(ds);
  if (m) return Number(m[2]) >= 1 && Number(m[2]) <= 12 && Number(m[3]) >= 1 && Number(m[3]) <= 31 && Number(m[4]) < 24 && Number(m[5]) < 60 ? 'seconds' : null;
  return null;
}

/** Codes of the <error> elements. */
const errorCodes = (root: DomElement): string[] => byTag(root, 'error').map((e) => e.attrs.code ?? 'no-code-attribute');

/** One exchange as the validator sees it. */
interface Exchange {
  label: string;
  method: 'GET' | 'POST';
  url: string;
  status: number;
  contentType: string;
  text: string;
}

describe('oai-pmh: the openarchives.org validator checks (HTTP::OAIPMH::Validator 1.07)', function () {
  this.timeout(60_000);
  let t: TestApp;
  let server: Server;
  let baseUrl = '';
  const seen: Exchange[] = [];
  const titles: Record<string, string> = {};
  const auth = (k: string): Record<string, string> => ({ Authorization: `Bearer ${k}` });

  /** What the validator carries from one test to the next (its accessors). */
  const run = {
    granularity: 'days' as 'days' | 'seconds',
    earliest: '',
    setNames: [] as string[],
    exampleSetSpec: '',
    exampleRecordId: '',
    datestamp: '',
    triedSets: [] as string[],
  };

  /**
   * The validator's make_request(): GET (or a form POST) with no Accept-Encoding, as LWP sends;
   * redirects are not followed. The URL goes through WHATWG URL parsing, which escapes '"' as
   * %22 just as LWP's URI does.
   */
  function send(label: string, url: string, form?: Record<string, string>): Promise<Exchange> {
    const u = new URL(url);
    const body = form ? Object.keys(form).sort().map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(form[k] ?? '')}`).join('&') : null;
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: u.hostname, port: u.port, method: form ? 'POST' : 'GET', path: `${u.pathname}${u.search}`,
          headers: { 'User-Agent': 'OAIPMH_Validator', ...(body !== null ? { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(Buffer.byteLength(body)) } : {}) },
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => {
            const contentType = res.headers['content-type'] ?? '';
            const charset = /charset=([^;\s]+)/i.exec(contentType)?.[1];
            let text: string;
            try {
              // The validator's "illegal bytes in UTF-8 streams" case: bytes that do not decode fail here.
              text = decodeXmlBody(Buffer.concat(parts), charset);
            } catch (err) {
              reject(new Error(`${label}: ${url}: ${(err as Error).message}`, { cause: err }));
              return;
            }
            const ex: Exchange = { label, method: form ? 'POST' : 'GET', url, status: res.statusCode ?? 0, contentType, text };
            seen.push(ex);
            resolve(ex);
          });
        },
      );
      req.on('error', reject);
      req.end(body ?? undefined);
    });
  }

  /**
   * The validator's parse_response(): a 4xx/5xx is a failure ("Bad HTTP status code"), so OAI
   * errors must come in an HTTP 200; the body must be well-formed XML.
   */
  function parsed(ex: Exchange): DomElement {
    expect(ex.status, `${ex.label}: HTTP status of ${ex.url}`).to.be.within(200, 299);
    try {
      return parseDom(ex.text).root;
    } catch (err) {
      throw new Error(`${ex.label}: Malformed response to ${ex.url}: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * The validator's make_request_and_validate(): success, well-formed, then
   * check_response_date() and check_schema_name() on the OAI-PMH element.
   */
  async function requestAndValidate(label: string, url: string): Promise<DomElement> {
    const ex = await send(label, url);
    const root = parsed(ex);
    const date = firstData(byTag(root, 'responseDate')[0]) ?? '';
    expect(date, `${label}: responseDate has correct format`).to.match(/^\d\d\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(root.name, `${label}: response contains a OAI-PMH element`).to.equal('OAI-PMH');
    const loc = root.attrs['xsi:schemaLocation'];
    expect(loc, `${label}: xsi:schemaLocation attribute for the OAI-PMH element`).to.be.a('string');
    expect(loc, `${label}: pairing of OAI namespace with schema location`).to.match(
      /^\s?http:\/\/www\.openarchives\.org\/OAI\/2\.0\/\s*http:\/\/www\.openarchives\.org\/OAI\/2\.0\/OAI-PMH\.xsd/,
    );
    return root;
  }

  const needs = (what: string, value: string): string => {
    if (!value) throw new Error(`needs ${what} from an earlier check of the validator's run, which failed`);
    return value;
  };

  before(async () => {
    // A real listening server first, so the configured base URL is the one requests go to
    // (the validator compares the URL it was given with Identify's baseURL).
    server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    t = await startTestApp({
      config: {
        server: { baseUrl: `http://127.0.0.1:${port}` },
        repository: { name: 'Colophon validator run', adminEmail: 'oai-admin@colophon.example.org' },
        // Small pages, so tokens are used and the validator's resumptionToken path runs.
        plugins: { settings: { 'oai-pmh': { repositoryIdentifier: 'colophon.example.org', pageSize: 2, identifiersPageSize: 2 } } },
      },
    });
    server.on('request', t.app.callback());
    baseUrl = `http://127.0.0.1:${port}/oai`;

    const op = await t.key('digital-inventory-operator');
    const ext = await t.key('digital-inventory-operator-extended');
    const col = await t.key('collection-inventory-operator');
    const collection = async (body: Record<string, unknown>): Promise<string> => {
      const res = await t.http.post('/api/v1/collections').set(auth(col)).send(body);
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      return res.body.id as string;
    };
    // The first set in setSpec order has no titles: the validator must move on to the next.
    await collection({ code: 'aaa-empty', name: 'Empty so far', published: true });
    const books = await collection({ code: 'books', name: 'Printed books', published: true, description: 'Books & pamphlets' });
    const atlases = await collection({ code: 'atlases', name: 'Atlases', published: true, parentId: books });
    for (const [name, dc] of Object.entries({
      atlas: { title: 'Atlas of the Coast', creator: 'Barrow, John', date: '1801' },
      herbal: { title: 'A Herbal of the Northern Counties', creator: 'Anon.', date: '1699' },
      sermons: { title: 'Sermons "on" Patience & Hope', creator: 'Smith, Ann', date: '1755' },
      almanac: { title: 'An Almanack for 1790', date: '1789' },
      gone: { title: 'A withdrawn title', date: '1900' },
    })) {
      const res = await t.http.post('/api/v1/titles').set(auth(op)).type('application/json').send(dc);
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      titles[name] = res.body.id as string;
      const rep = await t.http.post(`/api/v1/titles/${res.body.id}/representations`).set(auth(op)).send({ usageType: 'primary', remote: { deliveryUrl: `https://example.org/view/${name}` } });
      expect(rep.status, JSON.stringify(rep.body)).to.equal(201);
      const put = await t.http.put(`/api/v1/collections/${name === 'atlas' ? atlases : books}/titles/${res.body.id}`).set(auth(col));
      expect(put.status).to.equal(204);
    }
    // A deleted record among the others (persistent deletes: it stays, with status="deleted").
    expect((await t.http.delete(`/api/v1/titles/${titles.gone}`).set(auth(ext))).status).to.be.within(200, 299);
  });

  after(async () => {
    await new Promise((r) => server?.close(r));
    await t?.close();
  });

  describe('test_identify: "Checking Identify response"', () => {
    let identify: DomElement;

    it('Identify answers 200 with OAI-PMH as root element (processing instructions skipped) and an <Identify> block', async () => {
      const ex = await send('Identify', `${baseUrl}?verb=Identify`);
      expect(ex.status, 'Server failed to respond to Identify').to.equal(200);
      const { root, prolog } = parseDom(ex.text);
      expect(prolog.every((p) => p.startsWith('<?xml-stylesheet')), 'only an xml-stylesheet PI before the root').to.equal(true);
      expect(root.name, 'Identify response does not have OAI-PMH as root element').to.equal('OAI-PMH');
      expect(byTag(root, 'error', false), 'Error response to Identify request').to.have.length(0);
      expect(byTag(root, 'Identify', false), 'Identify response does not contain <Identify> block').to.have.length(1);
      identify = root;
    });

    it('get_admin_email / bad_admin_email: "Administrator email address is ..." (present, no mailto:, not @localhost, not bogus)', () => {
      const emails = byTag(identify, 'adminEmail');
      expect(emails.length, 'No adminEmail element!').to.be.greaterThan(0);
      for (const el of emails) {
        const e = firstData(el);
        expect(e, 'adminEmail element is empty!').to.be.a('string');
        expect(e, 'Stripped mailto: prefix from adminEmail (a warning)').to.not.contain('mailto:');
        expect(e, 'adminEmail is local').to.not.match(/@localhost$/);
        expect(e, 'adminEmail looks bogus').to.match(/^\w[\w\-.]+@[a-zA-Z0-9\-.]+\.[a-z]{2,}$/);
      }
      expect(firstData(emails[0])).to.equal('oai-admin@colophon.example.org');
    });

    it('check_protocol_version: "Correctly reports OAI-PMH protocol version 2.0"', () => {
      expect(firstData(byTag(identify, 'protocolVersion')[0])).to.equal('2.0');
    });

    it('"baseURL supplied matches the Identify response" (exactly, case and trailing slash included)', () => {
      expect(firstData(byTag(identify, 'baseURL')[0])).to.equal(baseUrl);
    });

    it('parse_granularity: "Datestamp granularity is ..." (exactly one granularity, YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)', () => {
      const gran = byTag(identify, 'granularity');
      expect(gran, 'Missing / Multiple granularity elements').to.have.length(1);
      const g = firstData(gran[0]);
      expect(g).to.be.oneOf(['YYYY-MM-DD', 'YYYY-MM-DDThh:mm:ssZ']);
      run.granularity = g === 'YYYY-MM-DD' ? 'days' : 'seconds';
      expect(run.granularity, 'Colophon declares seconds').to.equal('seconds');
    });

    it('get_earliest_datestamp: "Extracted earliestDatestamp ..." in the form of the declared granularity', () => {
      const el = byTag(identify, 'earliestDatestamp')[0];
      const e = firstData(el);
      expect(e, "Can't get earliestDatestamp / earliestDatestamp element is empty").to.be.a('string');
      const m = /^(\d{4})-(\d\d)-(\d\d)(.*)$/.exec(e ?? '');
      expect(m, 'earliestDatestamp is not in ISO8601 format').to.not.equal(null);
      const rest = m?.[4] ?? '';
      if (run.granularity === 'seconds') expect(rest, 'earliestDatestamp must have seconds granularity').to.match(/^T\d\d:\d\d:\d\d(\.\d+)?Z$/);
      else expect(rest, 'earliestDatestamp must have days granularity').to.equal('');
      run.earliest = e ?? '';
    });

    it('oai-identifier: "oai-identifier description for version 2.0 is being used" and a valid namespace-identifier', () => {
      const ids = byTag(identify, 'oai-identifier');
      expect(ids, 'Found more than one oai-identifier element').to.have.length.at.most(1);
      if (!ids.length) return; // the description is optional
      const oi = ids[0] as DomElement;
      // XML::DOM reads the default namespace declaration as an attribute: it must be there.
      expect(oi.attrs.xmlns, "Can't find namespace declaration for the oai-identifier description").to.equal('http://www.openarchives.org/OAI/2.0/oai-identifier');
      const repoId = byTag(oi, 'repositoryIdentifier')[0];
      expect(repoId, 'No namespace-identifier (repositoryIdentifier element)').to.not.equal(undefined);
      const ns = firstData(repoId);
      expect(ns, 'Empty namespace-identifier').to.be.a('string');
      expect(ns, 'Bad namespace-identifier').to.match(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]+)+$/i);
      expect(ns).to.equal('colophon.example.org');
    });
  });

  describe('test_list_sets: "Checking ListSets response"', () => {
    it('"Extracted N set names" from ListSets (else a noSetHierarchy error)', async () => {
      const root = await requestAndValidate('ListSets', `${baseUrl}?verb=ListSets`);
      const specs = byTag(root, 'setSpec');
      expect(specs.length, 'Failed to extract any setSpec elements from ListSets').to.be.greaterThan(0);
      run.setNames = specs.map((s) => firstData(s) ?? '');
      run.exampleSetSpec = `&set=${run.setNames[0] ?? ''}`;
      // First page only, as the validator reads it (pageSize 2 here).
      expect(run.setNames).to.deep.equal(['aaa-empty', 'books']);
    });
  });

  describe('test_list_identifiers: "Checking ListIdentifiers response"', () => {
    it('"Good ListIdentifiers response, extracted id ..." (empty first set skipped, deleted headers skipped)', async () => {
      let setSpec = run.exampleSetSpec;
      let url = `${baseUrl}?verb=ListIdentifiers&metadataPrefix=oai_dc${setSpec}`;
      let root: DomElement | null = await requestAndValidate('ListIdentifiers', url);
      run.triedSets.push(setSpec);
      const noRecordsMatch = (r: DomElement | null): boolean => !!r && errorCodes(r).includes('noRecordsMatch');
      if (setSpec && noRecordsMatch(root)) {
        // "Tried empty set, will look for set with items..."
        for (const name of run.setNames) {
          setSpec = `&set=${name}`;
          if (setSpec === run.exampleSetSpec) continue;
          url = `${baseUrl}?verb=ListIdentifiers&metadataPrefix=oai_dc${setSpec}`;
          root = await requestAndValidate('ListIdentifiers (next set)', url);
          run.triedSets.push(setSpec);
          if (!noRecordsMatch(root)) break;
        }
        if (!noRecordsMatch(root)) run.exampleSetSpec = setSpec;
      }
      expect(root, 'No ListIdentifiers response with content').to.not.equal(null);
      expect(run.triedSets, 'the empty set answers noRecordsMatch, so the next set is tried').to.deep.equal(['&set=aaa-empty', '&set=books']);
      expect(run.exampleSetSpec).to.equal('&set=books');
      let recordId = '';
      for (const h of byTag(root as DomElement, 'header')) {
        const idn = byTag(h, 'identifier', false);
        if (idn.length !== 1) continue;
        recordId = firstData(idn[0]) ?? '';
        if (h.attrs.status !== 'deleted') break;
        recordId = ''; // "Identifier N is for a deleted record, skipping"
      }
      expect(recordId, 'The response to ListIdentifiers with metadataPrefix oai_dc contained no identifiers').to.not.equal('');
      const live = ['atlas', 'herbal', 'sermons', 'almanac'].map((n) => `oai:colophon.example.org:${titles[n] ?? ''}`);
      expect(live, 'a record of set books that is not deleted').to.include(recordId);
      run.exampleRecordId = recordId;
    });
  });

  describe('test_list_metadata_formats: "Checking ListMetadataFormats response"', () => {
    it('"Good ListMetadataFormats response, includes oai_dc" (for the example id, url_encode()d)', async () => {
      const id = needs('example_record_id', run.exampleRecordId);
      const url = `${baseUrl}?verb=ListMetadataFormats&identifier=${urlEncode(id)}`;
      expect(url, 'the validator escapes ":" and "." too').to.contain('%3Acolophon%2Eexample%2Eorg%3A');
      const root = await requestAndValidate('ListMetadataFormats', url);
      const formats = byTag(root, 'metadataPrefix').map((f) => firstData(f) ?? '');
      expect(formats.length, 'No metadata formats are listed').to.be.greaterThan(0);
      expect(formats.some((f) => /^\s*oai_dc\s*$/.test(f)), 'Data provider supports oai_dc metadataPrefix').to.equal(true);
    });
  });

  describe('test_get_record: "Checking GetRecord response"', () => {
    it('datestamp "has the correct form for seconds granularity", "matched the ... granularity", "Expected setSpec was returned"', async () => {
      const id = needs('example_record_id', run.exampleRecordId);
      const root = await requestAndValidate('GetRecord', `${baseUrl}?verb=GetRecord&identifier=${urlEncode(id)}&metadataPrefix=oai_dc`);
      expect(errorCodes(root), 'The response to the GetRecord verb was an OAI exception').to.deep.equal([]);
      const ds = firstData(byTag(root, 'datestamp')[0]);
      expect(ds, 'The response to the GetRecord verb did not have a datestamp').to.be.a('string');
      expect(datestampGranularity(ds ?? ''), `Datestamp in GetRecord response (${ds ?? ''}) is not valid`).to.not.equal(null);
      expect(datestampGranularity(ds ?? ''), 'datestamp consistent with the Identify granularity').to.equal(run.granularity);
      const set = run.exampleSetSpec.replace(/&set=/, '');
      if (set) {
        const specs = byTag(root, 'setSpec').map((s) => firstData(s) ?? '');
        expect(specs.some((s) => s === set || s.startsWith(`${set}:`)), `Expected setSpec ${set} was missing from the response`).to.equal(true);
      }
      run.datestamp = ds ?? '';
    });
  });

  describe('test_list_records: "Checking ListRecords response"', () => {
    it('"ListRecords response correctly included record with identifier ..." (from = until = its datestamp, following tokens)', async () => {
      const ds = needs('the GetRecord datestamp', run.datestamp);
      const id = needs('example_record_id', run.exampleRecordId);
      let url = `${baseUrl}?verb=ListRecords&from=${ds}&until=${ds}&metadataPrefix=oai_dc`;
      for (let pages = 0; ; pages++) {
        expect(pages, 'the list never ends').to.be.below(100);
        const root = await requestAndValidate('ListRecords (from = until)', url);
        const errors = errorCodes(root);
        expect(errors, 'ListRecords response gave a noRecordsMatch error (from and until are inclusive, section 2.7.1)').to.deep.equal([]);
        const ids = byTag(root, 'identifier');
        const empty = ids.findIndex((i) => firstData(i) === undefined);
        expect(empty, 'ListRecords response badly formed, an identifier element is empty').to.equal(-1);
        if (ids.some((i) => firstData(i) === id)) return;
        const token = firstData(byTag(root, 'resumptionToken')[0]);
        expect(token, `ListRecords response did not include the identifier ${id}`).to.be.a('string');
        url = `${baseUrl}?verb=ListRecords&resumptionToken=${urlEncode(token ?? '')}`;
      }
    });
  });

  describe('test_expected_errors: "Checking exception handling (errors)", each an OAI error in HTTP 200 with one of the codes', () => {
    // The validator's table, in its order; the identifier of the fourth request is filled in at run time.
    const table: [string, string[]][] = [
      ['junk', ['badVerb']],
      ['verb=junk', ['badVerb']],
      ['verb=GetRecord&metadataPrefix=oai_dc', ['badArgument']],
      ['verb=GetRecord&identifier=<example record id>', ['badArgument']],
      ['verb=GetRecord&identifier=invalid"id&metadataPrefix=oai_dc', ['badArgument', 'idDoesNotExist']],
      ['verb=ListIdentifiers&until=junk', ['badArgument']],
      ['verb=ListIdentifiers&from=junk', ['badArgument']],
      ['verb=ListIdentifiers&resumptionToken=junk&until=2000-02-05', ['badArgument', 'badResumptionToken']],
      ['verb=ListRecords&metadataPrefix=oai_dc&from=junk', ['badArgument']],
      ['verb=ListRecords&resumptionToken=junk', ['badResumptionToken']],
      ['verb=ListRecords&metadataPrefix=oai_dc&resumptionToken=junk&until=1990-01-10', ['badArgument', 'badResumptionToken']],
      ['verb=ListRecords&metadataPrefix=oai_dc&until=junk', ['badArgument']],
      ['verb=ListRecords', ['badArgument']],
    ];
    for (const [query, codes] of table) {
      it(`"Error response correctly includes error code '${codes.join("' or '")}'" for ?${query}`, async () => {
        const q = query.replace('<example record id>', needs('example_record_id', run.exampleRecordId));
        const ex = await send(`error probe ${query}`, `${baseUrl}?${q}`);
        // A well-formed response even when the request had a '"' in it (the validator's xml_reason).
        const root = parsed(ex);
        const found = errorCodes(root);
        expect(found.some((c) => codes.includes(c)), `Exception/error response did not contain error code '${codes.join(' or ')}' (got ${found.join(', ') || 'none'})`).to.equal(true);
      });
    }
  });

  describe('test_expected_v2_errors: "Checking for version 2.0 specific exceptions"', () => {
    it('different granularities for from and until: badArgument', async () => {
      const ex = await send('mixed granularity', `${baseUrl}?verb=ListRecords&metadataPrefix=${urlEncode('oai_dc')}&from=2002-02-05&until=2002-02-06T05:35:00Z`);
      expect(errorCodes(parsed(ex))).to.include('badArgument');
    });

    it('until one year before the earliestDatestamp: noRecordsMatch', async () => {
      const early = oneYearBefore(needs('earliestDatestamp', run.earliest));
      expect(early.slice(4)).to.equal(run.earliest.slice(4));
      const ex = await send('until before earliest', `${baseUrl}?verb=ListRecords&metadataPrefix=${urlEncode('oai_dc')}&until=${early}`);
      expect(errorCodes(parsed(ex))).to.include('noRecordsMatch');
    });
  });

  describe('test_post_requests: "Checking that HTTP POST requests are handled correctly"', () => {
    // is_verb_response(): a success whose document has exactly one element named after the verb.
    it('"POST test 1 for Identify was successful"', async () => {
      const ex = await send('POST Identify', baseUrl, { verb: 'Identify' });
      const root = parsed(ex);
      expect(errorCodes(root), 'an OAI error response was received').to.deep.equal([]);
      expect(byTag(root, 'Identify')).to.have.length(1);
    });

    it('"POST test 2 for GetRecord was successful" (identifier and metadataPrefix in the form body)', async () => {
      const id = needs('example_record_id', run.exampleRecordId);
      const ex = await send('POST GetRecord', baseUrl, { verb: 'GetRecord', identifier: id, metadataPrefix: 'oai_dc' });
      const root = parsed(ex);
      expect(errorCodes(root), 'an OAI error response was received').to.deep.equal([]);
      expect(byTag(root, 'GetRecord')).to.have.length(1);
      expect(firstData(byTag(root, 'identifier')[0])).to.equal(id);
    });
  });

  describe('test_resumption_tokens: "Checking for correct use of resumptionToken (if used)"', () => {
    it('one non-empty token, cursor 0 on the first page, "Resumption tokens appear to work"', async () => {
      const first = parsed(await send('ListRecords (tokens)', `${baseUrl}?verb=ListRecords&metadataPrefix=oai_dc`));
      const tokens = byTag(first, 'resumptionToken');
      // The validator passes "resumptionToken not used" too; with pageSize 2 and 5 records this list is paged.
      expect(tokens, 'More than one resumptionToken in response / resumptionToken not used').to.have.length(1);
      const token = firstData(tokens[0]);
      expect(token, 'Empty resumption token in response to a request without a resumptionToken argument').to.be.a('string').and.not.equal('');
      const cursor = tokens[0]?.attrs.cursor;
      // The validator tests `if (my $cursor = getAttribute('cursor'))`: checked when present and not "0".
      if (cursor && cursor !== '0') expect(Number(cursor), 'cursor must be zero in the first response').to.equal(0);
      const next = parsed(await send('ListRecords (resumed)', `${baseUrl}?verb=ListRecords&resumptionToken=${urlEncode(token ?? '')}`));
      expect(errorCodes(next), 'Response to request using resumptionToken was an error code').to.deep.equal([]);
      expect(byTag(next, 'record').length).to.be.greaterThan(0);
    });
  });

  /*
   * Probes the brief asked for that the validator itself does not make: labelled with the
   * protocol section instead of a validator check.
   */
  describe('beyond the validator (OAI-PMH 2.0 sections named)', () => {
    it('§3.3.1: from later than until is an error (badArgument or noRecordsMatch), never records', async () => {
      const root = parsed(await send('from after until', `${baseUrl}?verb=ListIdentifiers&metadataPrefix=oai_dc&from=2021-01-02&until=2021-01-01`));
      expect(errorCodes(root)).to.have.length(1);
      expect(errorCodes(root)[0]).to.be.oneOf(['badArgument', 'noRecordsMatch']);
    });

    it('§3.3.1: a date that does not exist (2021-02-30) or fractional seconds are badArgument', async () => {
      for (const q of ['from=2021-02-30', 'until=2021-01-01T24:00:00Z', 'from=2021-01-01T00:00:00.5Z']) {
        const root = parsed(await send(`invalid date ${q}`, `${baseUrl}?verb=ListIdentifiers&metadataPrefix=oai_dc&${q}`));
        expect(errorCodes(root), q).to.deep.equal(['badArgument']);
      }
    });

    it('§3.3.1 / §2.7.1: ListIdentifiers from/until at day and at seconds granularity include the example record (inclusive bounds)', async () => {
      const ds = needs('the GetRecord datestamp', run.datestamp);
      const id = needs('example_record_id', run.exampleRecordId);
      const day = ds.slice(0, 10);
      for (const range of [`from=${day}&until=${day}`, `from=${ds}&until=${ds}`, `from=${day}`, `until=${ds}`]) {
        const seenIds: string[] = [];
        let url = `${baseUrl}?verb=ListIdentifiers&metadataPrefix=oai_dc&${range}`;
        for (let pages = 0; pages < 100; pages++) {
          const root = await requestAndValidate(`ListIdentifiers ${range}`, url);
          expect(errorCodes(root), range).to.deep.equal([]);
          seenIds.push(...byTag(root, 'identifier').map((i) => firstData(i) ?? ''));
          const token = firstData(byTag(root, 'resumptionToken')[0]);
          if (!token) break;
          url = `${baseUrl}?verb=ListIdentifiers&resumptionToken=${encodeURIComponent(token)}`;
        }
        expect(seenIds, range).to.include(id);
      }
    });

    it('§4.2: earliestDatestamp is a lower limit of every datestamp harvested', async () => {
      const earliest = needs('earliestDatestamp', run.earliest);
      let url = `${baseUrl}?verb=ListIdentifiers&metadataPrefix=oai_dc`;
      const stamps: string[] = [];
      for (let pages = 0; pages < 100; pages++) {
        const root = await requestAndValidate('ListIdentifiers (all)', url);
        stamps.push(...byTag(root, 'datestamp').map((d) => firstData(d) ?? ''));
        const token = firstData(byTag(root, 'resumptionToken')[0]);
        if (!token) break;
        url = `${baseUrl}?verb=ListIdentifiers&resumptionToken=${encodeURIComponent(token)}`;
      }
      expect(stamps.length).to.equal(5);
      for (const s of stamps) expect(s >= earliest, `${s} >= ${earliest}`).to.equal(true);
    });

    it('§3.2: every response of this run is text/xml in UTF-8 with HTTP 200, errors included', () => {
      expect(seen.length).to.be.greaterThan(30);
      for (const ex of seen) {
        expect(ex.status, ex.url).to.equal(200);
        expect(ex.contentType, ex.url).to.match(/^text\/xml;\s*charset=utf-8$/i);
      }
    });
  });

  describe('XML Schema (not a check of the validator module)', () => {
    it('every response of the run validates against the OAI-PMH schema and the payload schemas', async function () {
      if (!schemasAvailable()) {
        console.log(`      (skipped: ${schemasMissingReason()})`);
        this.skip();
      }
      expect(seen.length).to.be.greaterThan(30);
      const result = await validateXml(seen.map((e) => e.text), { names: seen.map((e) => `${e.method} ${e.url}`) });
      expect(result.errors, result.errors.slice(0, 5).join('\n')).to.deep.equal([]);
      expect(result.ok).to.equal(true);
    });
  });
});
