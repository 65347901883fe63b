/**
 * The builders on real-world input from ../shared/data: the Dublin Core of every shared record
 * (MARC in many scripts and encodings, DC, MODS) and media files probed the way the inventory
 * stores them (probeMedia), so the sizes and durations are those the loader will read.
 */
import { expect } from 'chai';
import { basename } from 'node:path';
import { mediaKind, probeMedia } from '../../../../plugins/inventory/media';
import { buildManifest2, buildManifest3, type FileSource } from '../../../../plugins/iiif-presentation/builders';
import { parseWithIiifParser, parseWithManifesto, presentationSchemaAvailable, validatePresentation3 } from '../../../helpers/iiif-validation';
import { requireSharedData, sharedData } from '../../../helpers/shared-data';
import { projectSamples, sharedSamples, type FormatSample } from '../../oai-pmh/formats/format-samples';
import { file, source, strings, urls } from './presentation-fixtures';

type Obj = Record<string, unknown>;
const arr = (x: unknown): Obj[] => x as Obj[];

/** Problems of one record's 3.0 and 2.1 manifests (empty when all checks pass). */
function problems(sample: FormatSample): string[] {
  const t = sample.title;
  const src = source(t.id, `r-${t.id}`, t.dc, [file(`f-${t.id}`, 1, 'image', { label: t.displayTitle })]);
  const m3 = buildManifest3(src);
  const m2 = buildManifest2(src);
  const out = [
    ...(presentationSchemaAvailable() ? validatePresentation3(m3).slice(0, 2).map((e) => `schema: ${e}`) : []),
    ...parseWithIiifParser(m3).issues,
    ...parseWithManifesto(m3).issues,
    ...parseWithIiifParser(m2).issues,
    ...parseWithManifesto(m2).issues,
  ];
  return out.map((p) => `${sample.name}: ${p}`);
}

describe('iiif-presentation builders: real-world records and media', function () {
  before(function () {
    requireSharedData(this);
  });

  it('every shared and project record gives valid, parseable 3.0 and 2.1 manifests', function () {
    this.timeout(120_000);
    if (!presentationSchemaAvailable()) console.log('      (schema checks skipped: ../shared/schemas is absent)');
    // The 383-record bulk set is there twice (binary and MARCXML); 20 of each are enough here.
    let bulk = 0;
    const samples = [...projectSamples(), ...sharedSamples()].filter((s) => !s.name.includes('pride-and-prejudice') || bulk++ < 40);
    expect(samples.length).to.be.greaterThan(200);
    const found = samples.flatMap(problems);
    expect(found.slice(0, 10)).to.deep.equal([]);
  });

  it('records in non-Latin scripts keep their title text as the label', function () {
    const samples = sharedSamples().filter((s) => /[\u0590-\u06ff\u3040-\u30ff\u4e00-\u9fff\u0400-\u04ff]/.test(s.title.dc.title?.[0] ?? ''));
    expect(samples.length).to.be.greaterThan(3);
    for (const s of samples) {
      const m = buildManifest3(source(s.title.id, `r-${s.title.id}`, s.title.dc, [file('f1', 1, 'image')]));
      const label = m.label as Record<string, string[]>;
      expect(Object.values(label)[0]?.[0], s.name).to.equal(s.title.dc.title?.[0]?.trim());
    }
  });

  it('probed images, audio, video and a PDF: canvases with the stored sizes and durations', async function () {
    this.timeout(60_000);
    const media: [string, string][] = [
      ['images/collectionbuilder-uidaho-postcard-1910.jpg', 'image/jpeg'],
      ['images/loris-typescript-page-gray.jp2', 'image/jp2'],
      ['images/kant-berlinische-monatsschrift-1784-p17.tif', 'image/tiff'],
      ['docs/mdn-bear.mp3', 'audio/mpeg'],
      ['docs/mdn-bear.ogg', 'audio/ogg'],
      ['docs/mdn-rabbit320.mp4', 'video/mp4'],
      ['docs/mdn-rabbit320.webm', 'video/webm'],
      ['docs/dspace-ConstitutionofIreland.pdf', 'application/pdf'],
    ];
    const files: FileSource[] = [];
    for (const [i, [path, mime]] of media.entries()) {
      const info = await probeMedia(sharedData(path), mime);
      const k = mediaKind(mime);
      const kind = k === 'jpeg2000' || k === 'svg' ? 'image' : k;
      files.push(file(`f-real-${i + 1}`, i + 1, kind, {
        label: basename(path), mimeType: mime, width: info.width, height: info.height, duration: info.duration, pageCount: info.pageCount,
      }));
    }
    const src = source('t-real', 'r-real', { title: ['Real media'], type: ['Text'] }, files);
    const m3 = buildManifest3(src);
    if (presentationSchemaAvailable()) expect(validatePresentation3(m3).slice(0, 3)).to.deep.equal([]);
    expect(parseWithIiifParser(m3).issues).to.deep.equal([]);
    expect(parseWithManifesto(m3).issues).to.deep.equal([]);
    const canvases = arr(m3.items);
    expect(canvases.map((c) => [c.width ?? null, c.height ?? null, c.duration ?? null])).to.deep.equal(
      files.filter((f) => f.kind !== 'pdf').map((f) => [f.width, f.height, f.duration]),
    );
    const bodies = canvases.map((c) => (arr(arr(c.items)[0]?.items)[0] as Obj).body as Obj);
    expect(bodies.map((b) => [b.type, b.format])).to.deep.equal([
      ['Image', 'image/jpeg'], ['Image', 'image/jpeg'], ['Image', 'image/jpeg'],
      ['Sound', 'audio/mpeg'], ['Sound', 'audio/ogg'], ['Video', 'video/mp4'], ['Video', 'video/webm'],
    ]);
    expect(arr(m3.rendering).map((r) => r.id)).to.deep.equal([urls.content('f-real-8')]);
    // images and AV together are not a book
    expect(m3.behavior).to.deep.equal(['individuals']);
    const m2 = buildManifest2(src);
    expect(parseWithManifesto(m2).canvases).to.equal(3);
    expect(strings(m2).filter((s) => s.startsWith(urls.content('')))).to.have.length(5); // 4 AV + the PDF as renderings
  });
});
