import { expect } from 'chai';
import { ConfigError } from '../../../../core/config/load';
import { DC_ELEMENTS, type DublinCore, type Title } from '../../../../core/db/entities/title.entity';
import { OaiDcFormat } from '../../../../plugins/oai-pmh/formats';
import { childElements, NS, parseXml, textContent } from '../../../../plugins/inventory/records/xml-tree';
import { contextFor, dirtyDcTitle, projectSamples, REPO, sharedSamples, titleFrom } from './format-samples';

/** The dc:* values of a rendered record, by element, in document order. */
function valuesOf(xml: string): DublinCore {
  const out: DublinCore = {};
  for (const e of childElements(parseXml(xml), NS.dc)) (out[e.local as keyof DublinCore] ??= []).push(textContent(e));
  return out;
}

const dcTitle = (dc: DublinCore, name: string): Title =>
  titleFrom({ format: 'dc', record: '<unused/>', dc, displayTitle: dc.title?.[0] ?? '[untitled]', sourceId: null, warnings: [] }, name);

describe('OaiDcFormat', function () {
  const format = new OaiDcFormat();

  it("carries every value of the title's Dublin Core, in order with repeats (project and shared samples)", function () {
    const failures: string[] = [];
    for (const { name, title } of [...projectSamples(), ...sharedSamples()]) {
      const got = valuesOf(format.render(title, contextFor(title)));
      for (const e of DC_ELEMENTS) {
        // Identifiers and relations gain the links (below); the dirty title has a test of its own.
        if (e === 'identifier' || e === 'relation' || name.startsWith('in-code')) continue;
        const want = (title.dc[e] ?? []).map((v) => v.trim());
        if (JSON.stringify(got[e] ?? []) !== JSON.stringify(want)) failures.push(`${name} dc:${e}: ${JSON.stringify(got[e])} != ${JSON.stringify(want)}`);
      }
      // Every source identifier and relation is still there, after the links.
      for (const v of title.dc.identifier ?? []) if (!got.identifier?.includes(v.trim())) failures.push(`${name}: identifier ${v} lost`);
      for (const v of title.dc.relation ?? []) if (!got.relation?.includes(v.trim())) failures.push(`${name}: relation ${v} lost`);
    }
    expect(failures, failures.slice(0, 10).join('\n')).to.deep.equal([]);
  });

  it('puts the title page and the delivery URLs first among the identifiers, and the manifest in dc:relation', function () {
    const [sample] = projectSamples().filter((s) => s.name === 'record.oai_dc.xml');
    if (!sample) throw new Error('fixture record.oai_dc.xml missing');
    const ctx = contextFor(sample.title);
    const got = valuesOf(format.render(sample.title, ctx));
    expect(got.identifier).to.deep.equal([
      ctx.titleUrl,
      ctx.links[0]?.deliveryUrl,
      ctx.links[1]?.deliveryUrl,
      'urn:colophon:dc-0001',
      'https://example.org/letters',
    ]);
    expect(got.relation).to.deep.equal([ctx.links[0]?.manifestUrl]);
    expect(got.title).to.deep.equal(['Letters from the lighthouse']);
    expect(got.subject).to.deep.equal(['Lighthouses']);
  });

  it('removes characters XML cannot carry, drops values left empty, and writes the title page once', function () {
    const title = dirtyDcTitle();
    const ctx = contextFor(title);
    const got = valuesOf(format.render(title, ctx));
    expect(got.title).to.deep.equal(['Tide tables of the north']);
    expect(got.creator).to.deep.equal(['Mensah, Kofi']);
    expect(got.subject).to.deep.equal(['Tides']);
    expect(got.description).to.deep.equal(['Line one\nline two\ttabbed']);
    expect(got.identifier?.filter((i) => i === ctx.titleUrl)).to.have.length(1);
    expect(got.identifier).to.include('urn:colophon:dirty-1');
  });

  it('leaves out links into the repository when repositoryUrls names it, and only then', function () {
    const title = dcTitle({ title: ['Atlas'], identifier: [`${REPO}old/7`, 'urn:x:1'], relation: [`${REPO}iiif/2/old/manifest`, 'Part of: Maps'] }, 'stale links');
    const ctx = contextFor(title);
    const plain = valuesOf(new OaiDcFormat().render(title, ctx));
    expect(plain.identifier).to.include(`${REPO}old/7`);
    expect(plain.relation).to.include(`${REPO}iiif/2/old/manifest`);
    const scoped = valuesOf(OaiDcFormat.fromConfig({ repositoryUrls: [REPO] }).render(title, ctx));
    expect(scoped.identifier).to.deep.equal([ctx.titleUrl, ctx.links[0]?.deliveryUrl, ctx.links[1]?.deliveryUrl, 'urn:x:1']);
    expect(scoped.relation).to.deep.equal(['Part of: Maps', ctx.links[0]?.manifestUrl]);
  });

  it('renders a title with no Dublin Core and no links as its title page alone', function () {
    const title = dcTitle({}, 'empty');
    const got = valuesOf(format.render(title, { ...contextFor(title), links: [] }));
    expect(got).to.deep.equal({ identifier: [contextFor(title).titleUrl] });
  });

  it('refuses bad options with a ConfigError naming them', function () {
    expect(() => OaiDcFormat.fromConfig({ repositoryUrls: ['ftp://x'] })).to.throw(ConfigError, /repositoryUrls/);
    expect(() => OaiDcFormat.fromConfig({ repositoryUrl: 'https://x/' } as never)).to.throw(ConfigError, /unknown option\(s\) repositoryUrl/);
  });
});
