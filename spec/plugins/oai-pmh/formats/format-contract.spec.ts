import { expect } from 'chai';
import { BUILTIN_FORMATS, Marc21Format, ModsFormat, OaiDcFormat } from '../../../../plugins/oai-pmh/formats';
import { hasSharedData, SHARED_DATA } from '../../../helpers/shared-data';
import { formatContract } from './format-contract';
import { bulkMarcSamples, contextFor, projectSamples, sharedSamples, type FormatSample } from './format-samples';

/** Project fixtures always; ../shared/data's 1,035 MARC records and DC/MODS files when present. */
let cache: FormatSample[] | undefined;
function samples(): FormatSample[] {
  if (!cache) {
    if (!hasSharedData()) console.log(`      (${SHARED_DATA} is absent: the contract runs on the project fixtures only)`);
    cache = [...projectSamples(), ...sharedSamples()];
  }
  return cache;
}

describe('oai-pmh formats: built-in formats', function () {
  it('BUILTIN_FORMATS lists oai_dc, marc21 and mods, once each', function () {
    const formats = BUILTIN_FORMATS();
    expect(formats.map((f) => f.prefix)).to.deep.equal(['oai_dc', 'marc21', 'mods']);
    expect(formats[0]).to.be.instanceOf(OaiDcFormat);
    expect(formats[1]).to.be.instanceOf(Marc21Format);
    expect(formats[2]).to.be.instanceOf(ModsFormat);
  });
});

// Validated against the shared OAI-PMH wrapper schema (it imports MODS 3.7).
formatContract(new OaiDcFormat(), samples, { root: 'dc' });
formatContract(new Marc21Format(), samples, { root: 'record' });
formatContract(new ModsFormat(), samples, { root: 'mods' });

describe('oai-pmh formats: rendering time (printed, not asserted)', function () {
  it('renders the 383 records of the bulk MARC set in each format', async function () {
    const bulk = bulkMarcSamples();
    if (!bulk.length) {
      console.log(`      (skipped: ${SHARED_DATA} is absent)`);
      this.skip();
    }
    expect(bulk).to.have.length(383);
    for (const format of BUILTIN_FORMATS()) {
      const contexts = bulk.map((s) => contextFor(s.title));
      for (const [i, s] of bulk.entries()) await format.render(s.title, contexts[i] ?? contextFor(s.title)); // warm-up
      const passes = 3;
      let bytes = 0;
      const start = process.hrtime.bigint();
      for (let p = 0; p < passes; p++) for (const [i, s] of bulk.entries()) bytes += (await format.render(s.title, contexts[i] ?? contextFor(s.title))).length;
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      console.log(`      ${format.prefix.padEnd(7)} ${(ms / (passes * bulk.length)).toFixed(3)} ms/record (${bulk.length} records x ${passes}, ${Math.round(bytes / passes / bulk.length)} chars/record)`);
    }
  });
});
