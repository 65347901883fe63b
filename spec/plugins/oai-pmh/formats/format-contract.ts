/**
 * The contract every MetadataFormat meets, run against each implementation: for every sample
 * title, the rendered record is a well-formed fragment whose root is in the format's namespace,
 * names the format's schema, holds no character XML 1.0 forbids, comes out the same every time,
 * carries the context's links, and validates against the schema (one xmllint run per format).
 */
import { expect } from 'chai';
import type { MetadataFormat } from '../../../../core/formats/metadata-format';
import { attr, NS, parseXml, textContent, type XmlElement } from '../../../../plugins/inventory/records/xml-tree';
import { DEFAULT_SCHEMA, schemasAvailable, schemasMissingReason, validateXml } from '../../../helpers/xml-schema';
import { contextFor, type FormatSample } from './format-samples';

export interface ContractOptions {
  /** Local name of the record's root element. */
  root: string;
  /** Schema to validate with (see validateXml; default: the shared wrapper.xsd). */
  schema?: string;
}

interface Rendered {
  sample: FormatSample;
  xml: string;
}

/** XML 1.0 Char production (https://www.w3.org/TR/xml/#charsets), checked code point by code point. */
function firstIllegalChar(s: string): number | undefined {
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    const ok = c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
    if (!ok) return c;
  }
  return undefined;
}

/** Every element of a tree, depth first. */
export function allElements(root: XmlElement): XmlElement[] {
  const out: XmlElement[] = [root];
  for (let i = 0; i < out.length; i++) for (const c of out[i]?.children ?? []) if (typeof c !== 'string') out.push(c);
  return out;
}

/** Runs the contract for `format` over the samples `load` returns (called once, in a before hook). */
export function formatContract(format: MetadataFormat, load: () => FormatSample[], opts: ContractOptions): void {
  describe(`metadata format contract: ${format.prefix}`, function () {
    const rendered: Rendered[] = [];

    before(async function () {
      for (const sample of load()) rendered.push({ sample, xml: await format.render(sample.title, contextFor(sample.title)) });
    });

    /** Runs `check` on every rendering and reports all failures at once, naming the samples. */
    function forEach(check: (r: Rendered) => void): void {
      const failures: string[] = [];
      for (const r of rendered) {
        try {
          check(r);
        } catch (err) {
          failures.push(`${r.sample.name}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      expect(failures, failures.slice(0, 10).join('\n')).to.deep.equal([]);
    }

    it('declares an OAI-PMH metadataPrefix, a namespace URI and a schema URL', function () {
      // OAI-PMH 2.0 section 3.4: metadataPrefix is [A-Za-z0-9\-_.!~*'()]+.
      expect(format.prefix).to.match(/^[A-Za-z0-9\-_.!~*'()]+$/);
      expect(format.namespace).to.match(/^https?:\/\/\S+$/);
      expect(format.schema).to.match(/^https?:\/\/\S+\.xsd$/);
    });

    it('supports every sample title', function () {
      expect(rendered.length).to.be.greaterThan(0);
      forEach((r) => expect(format.supports(r.sample.title)).to.equal(true));
    });

    it('renders a well-formed fragment with no XML declaration', function () {
      forEach((r) => {
        expect(r.xml.startsWith('<?xml')).to.equal(false);
        parseXml(r.xml);
      });
    });

    it(`roots the record in <${opts.root}> of the format namespace, with xsi:schemaLocation naming the schema`, function () {
      forEach((r) => {
        const root = parseXml(r.xml);
        expect(root.local).to.equal(opts.root);
        expect(root.uri).to.equal(format.namespace);
        const locations = (attr(root, 'schemaLocation', NS.xsi) ?? '').trim().split(/\s+/);
        const pairs = locations.flatMap((v, i) => (i % 2 === 0 ? [`${v} ${locations[i + 1] ?? ''}`] : []));
        expect(pairs).to.include(`${format.namespace} ${format.schema}`);
      });
    });

    it('never writes a character XML 1.0 forbids, even from dirty values and labels', function () {
      forEach((r) => {
        const bad = firstIllegalChar(r.xml);
        expect(bad, bad === undefined ? '' : `U+${bad.toString(16).toUpperCase().padStart(4, '0')}`).to.equal(undefined);
        // A character reference to one would be as bad (and not well-formed).
        for (const m of r.xml.matchAll(/&#(x?)([0-9a-fA-F]+);/g)) {
          const c = parseInt(m[2] ?? '', m[1] ? 16 : 10);
          expect(firstIllegalChar(String.fromCodePoint(c)), m[0]).to.equal(undefined);
        }
      });
    });

    it('renders the same record every time', async function () {
      const failures: string[] = [];
      for (const r of rendered) if ((await format.render(r.sample.title, contextFor(r.sample.title))) !== r.xml) failures.push(r.sample.name);
      expect(failures).to.deep.equal([]);
    });

    it('carries the title page and every delivery URL of the context', function () {
      forEach((r) => {
        const ctx = contextFor(r.sample.title);
        const text = allElements(parseXml(r.xml)).map((e) => [textContent(e), ...e.attrs.map((a) => a.value)].join('\n')).join('\n');
        for (const url of [ctx.titleUrl, ...ctx.links.map((l) => l.deliveryUrl)]) expect(text).to.include(url);
      });
    });

    it(`validates against ${opts.schema ?? DEFAULT_SCHEMA} (all samples, one xmllint run)`, async function () {
      if (!schemasAvailable()) {
        console.log(`      (schema check skipped: ${schemasMissingReason()})`);
        this.skip();
      }
      this.timeout(120_000);
      const result = await validateXml(rendered.map((r) => r.xml), { schema: opts.schema, names: rendered.map((r) => r.sample.name) });
      expect(result.errors.slice(0, 20), result.errors.slice(0, 20).join('\n')).to.deep.equal([]);
      expect(result.ok).to.equal(true);
    });
  });
}
