import { expect } from 'chai';
import {
  canonicalImageUrl,
  canonicalLinkHeader,
  infoMediaType,
  profileLinkHeader,
} from '../../../../plugins/iiif-image/protocol/canonical-link';
import { parseImageRequest } from '../../../../plugins/iiif-image/protocol/image-request';

/*
 * The HTTP-side strings: Link headers as the validator's linkheader_profile and
 * linkheader_canonical read them (a Link value split into <uri> and ;param=value pairs, rel
 * values compared case-insensitively), and the info.json media type as its jsonld check and
 * the specs' content negotiation rules expect.
 */

/** A small RFC 8288 Link header reader: uri -> lower-cased rel values. */
function parseLinks(header: string): Map<string, string[]> {
  const links = new Map<string, string[]>();
  const re = /\s*<([^>]*)>((?:\s*;\s*[^;,=\s]+\s*=\s*(?:"[^"]*"|[^;,\s]*))*)\s*(?:,|$)/y;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while (consumed < header.length && (m = re.exec(header))) {
    consumed = re.lastIndex;
    const rels: string[] = [];
    for (const p of m[2].matchAll(/;\s*([^;,=\s]+)\s*=\s*(?:"([^"]*)"|([^;,\s]*))/g)) {
      if (p[1].toLowerCase() === 'rel') rels.push(...(p[2] ?? p[3]).toLowerCase().split(/\s+/));
    }
    links.set(m[1], [...(links.get(m[1]) ?? []), ...rels]);
  }
  if (consumed !== header.length) throw new Error(`unparsable Link header at ${consumed}: ${header}`);
  return links;
}

function uriFor(links: Map<string, string[]>, rel: string): string | undefined {
  for (const [uri, rels] of links) if (rels.includes(rel)) return uri;
  return undefined;
}

describe('IIIF Image API HTTP values (canonical-link)', () => {
  describe('profileLinkHeader', () => {
    it('3.0: the level 2 profile of version 3 (validator linkheader_profile)', () => {
      const header = profileLinkHeader(3);
      expect(header).to.equal('<http://iiif.io/api/image/3/level2.json>;rel="profile"');
      expect(uriFor(parseLinks(header), 'profile')?.startsWith('http://iiif.io/api/image/3/')).to.equal(true);
    });

    it('2.1: the level 2 profile of version 2', () => {
      const header = profileLinkHeader(2);
      expect(header).to.equal('<http://iiif.io/api/image/2/level2.json>;rel="profile"');
      expect(uriFor(parseLinks(header), 'profile')?.startsWith('http://iiif.io/api/image/2/')).to.equal(true);
    });

    it('combines with the canonical link in one header value', () => {
      const links = parseLinks(`${canonicalLinkHeader('http://colophon.test/iiif/3/f1/full/max/0/default.jpg')}, ${profileLinkHeader(3)}`);
      expect(uriFor(links, 'canonical')).to.equal('http://colophon.test/iiif/3/f1/full/max/0/default.jpg');
      expect(uriFor(links, 'profile')).to.equal('http://iiif.io/api/image/3/level2.json');
    });
  });

  describe('canonicalLinkHeader and canonicalImageUrl', () => {
    it('names the canonical URL of a plan (validator linkheader_canonical)', () => {
      const plan = parseImageRequest(3, { region: 'pct:0,0,50,50', size: '250,', rotation: '!90.0', quality: 'gray', format: 'png' }, { width: 1000, height: 800 }, { maxWidth: 4000, maxHeight: 4000, maxArea: 16e6 });
      const url = canonicalImageUrl('http://colophon.test/iiif/3/f1', plan);
      expect(url).to.equal('http://colophon.test/iiif/3/f1/0,0,500,400/250,200/!90/gray.png');
      const header = canonicalLinkHeader(url);
      expect(header).to.equal(`<${url}>;rel="canonical"`);
      expect(uriFor(parseLinks(header), 'canonical')).to.equal(url);
      expect(canonicalImageUrl('http://colophon.test/iiif/3/f1/', plan)).to.equal(url);
    });

    it('keeps an encoded identifier as it is and encodes what cannot stand inside <>', () => {
      expect(canonicalLinkHeader('http://x.test/iiif/3/a%2Fb/full/max/0/default.jpg')).to.equal('<http://x.test/iiif/3/a%2Fb/full/max/0/default.jpg>;rel="canonical"');
      expect(canonicalLinkHeader('http://x.test/a b<c>"d')).to.equal('<http://x.test/a%20b%3Cc%3E%22d>;rel="canonical"');
    });
  });

  describe('infoMediaType (JSON-LD content negotiation)', () => {
    const ld3 = 'application/ld+json;profile="http://iiif.io/api/image/3/context.json"';
    const ld2 = 'application/ld+json;profile="http://iiif.io/api/image/2/context.json"';

    it('validator jsonld: Accept application/ld+json gets application/ld+json in both versions', () => {
      expect(infoMediaType(3, 'application/ld+json')).to.equal(ld3);
      expect(infoMediaType(2, 'application/ld+json')).to.equal(ld2);
      for (const v of [2, 3] as const) expect(infoMediaType(v, 'application/ld+json').startsWith('application/ld+json')).to.equal(true);
    });

    it('no Accept header: JSON-LD in 3.0 (§5.1), plain JSON in 2.1 (§5.1)', () => {
      expect(infoMediaType(3)).to.equal(ld3);
      expect(infoMediaType(3, '')).to.equal(ld3);
      expect(infoMediaType(3, null)).to.equal(ld3);
      expect(infoMediaType(2)).to.equal('application/json');
      expect(infoMediaType(2, '  ')).to.equal('application/json');
    });

    it('plain JSON for application/json, wildcards and browsers', () => {
      for (const v of [2, 3] as const) {
        expect(infoMediaType(v, 'application/json')).to.equal('application/json');
        expect(infoMediaType(v, '*/*')).to.equal('application/json');
        expect(infoMediaType(v, 'application/*')).to.equal('application/json');
        expect(infoMediaType(v, 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')).to.equal('application/json');
        expect(infoMediaType(v, 'text/html')).to.equal('application/json');
      }
    });

    it('weighs q values, media type parameters and case', () => {
      expect(infoMediaType(3, 'application/json;q=0.9, application/ld+json')).to.equal(ld3);
      expect(infoMediaType(3, 'application/ld+json;q=0.5, application/json')).to.equal('application/json');
      expect(infoMediaType(3, 'application/ld+json;q=0')).to.equal('application/json');
      expect(infoMediaType(3, 'application/ld+json;q=0.8, application/json;q=0.8')).to.equal(ld3);
      expect(infoMediaType(3, 'Application/LD+JSON')).to.equal(ld3);
      expect(infoMediaType(3, 'application/ld+json;profile="http://iiif.io/api/image/3/context.json"')).to.equal(ld3);
      expect(infoMediaType(2, 'application/ld+json; profile="http://iiif.io/api/image/2/context.json"; q=1, */*;q=0.1')).to.equal(ld2);
    });
  });
});
