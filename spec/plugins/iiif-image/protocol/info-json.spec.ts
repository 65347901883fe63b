import { expect } from 'chai';
import {
  buildInfo,
  type ImageInfo2,
  type ImageInfo3,
  type InfoOptions,
  type InfoSize,
  type InfoTile,
  levelSizes,
  scaleFactorsFor,
} from '../../../../plugins/iiif-image/protocol/info-json';
import { parseImageRequest } from '../../../../plugins/iiif-image/protocol/image-request';
import { type ApiVersion, FORMATS, type ImageLimits, QUALITIES } from '../../../../plugins/iiif-image/protocol/types';

/*
 * info.json of IIIF Image API 3.0 and 2.1. The validator's info_json checks
 * (github.com/IIIF/image-validator, iiif_validator/tests/info_json.py) are restated below as
 * one function and run on every document built here; the feature names are checked against
 * the tables of the specs themselves (3.0 §5.7, 2.1 §5.3), written out here rather than taken
 * from the implementation. The pyramid is checked against the tile requests OpenSeadragon 5
 * (the viewer inside Mirador) derives from the document: every one must be a valid request.
 */

const LIMITS: ImageLimits = { maxWidth: 10_000, maxHeight: 10_000, maxArea: 100_000_000 };
const ODD_SIZES: [number, number][] = [
  [1, 1],
  [10_000, 10_000],
  [6000, 4000],
  [513, 7],
  [7, 513],
  [512, 512],
  [1000, 1000],
];
const BASE = 'http://colophon.test/iiif';

/** The feature names of the 3.0 table (§5.7). */
const FEATURES_3 = [
  'baseUriRedirect', 'canonicalLinkHeader', 'cors', 'jsonldMediaType', 'mirroring', 'profileLinkHeader', 'regionByPct',
  'regionByPx', 'regionSquare', 'rotationArbitrary', 'rotationBy90s', 'sizeByConfinedWh', 'sizeByH', 'sizeByPct', 'sizeByW',
  'sizeByWh', 'sizeUpscaling',
];
/** The feature names of the 2.1 table (§5.3). */
const FEATURES_2 = [
  'baseUriRedirect', 'canonicalLinkHeader', 'cors', 'jsonldMediaType', 'mirroring', 'profileLinkHeader', 'regionByPct',
  'regionByPx', 'regionSquare', 'rotationArbitrary', 'rotationBy90s', 'sizeAboveFull', 'sizeByConfinedWh',
  'sizeByDistortedWh', 'sizeByH', 'sizeByPct', 'sizeByW', 'sizeByWh', 'sizeByWhListed', 'sizeByForcedWh',
];
/** 2.x names that 3.0 removed (3.0 change log). */
const REMOVED_IN_3 = ['sizeByWhListed', 'sizeByForcedWh', 'sizeAboveFull', 'sizeByDistortedWh'];
/** What 3/level2.json and 2/level2.json already declare. */
const LEVEL2_FORMATS = ['jpg', 'png'];

function serviceId(version: ApiVersion, w: number, h: number): string {
  return `${BASE}/${version}/file-${w}x${h}`;
}

function build3(w: number, h: number, extra: Partial<InfoOptions> = {}): ImageInfo3 {
  return buildInfo(3, { id: serviceId(3, w, h), width: w, height: h, limits: LIMITS, ...extra });
}

function build2(w: number, h: number, extra: Partial<InfoOptions> = {}): ImageInfo2 {
  return buildInfo(2, { id: serviceId(2, w, h), width: w, height: h, limits: LIMITS, ...extra });
}

/** The validator's info_json checks, for versions 2.x and 3.0, as assertions on the parsed body. */
function validatorInfoChecks(version: ApiVersion, infoUrl: string, body: unknown): void {
  expect(body).to.be.an('object');
  const info = body as Record<string, unknown>;
  expect(info, 'width').to.have.property('width');
  expect(info, 'height').to.have.property('height');
  expect(Number.isInteger(info.width) && Number.isInteger(info.height), 'integer width/height').to.equal(true);
  const idField = version === 3 ? 'id' : '@id';
  expect(info, idField).to.have.property(idField);
  const id = info[idField] as string;
  expect(id.startsWith('http'), 'id is a URI').to.equal(true);
  expect(id, 'id is the request URI without /info.json').to.equal(infoUrl.replace('/info.json', ''));
  expect(info).to.have.property('@context');
  const ctx = info['@context'];
  if (version === 2) expect(ctx).to.equal('http://iiif.io/api/image/2/context.json');
  else if (Array.isArray(ctx)) expect(ctx).to.include('http://iiif.io/api/image/3/context.json');
  else expect(ctx).to.equal('http://iiif.io/api/image/3/context.json');
  expect(info.protocol).to.equal('http://iiif.io/api/image');
  expect(info).to.have.property('profile');
  if (version === 2) {
    expect(info.profile).to.be.an('array');
    expect(((info.profile as unknown[])[0] as string).startsWith('http://iiif.io/api/image/2/level')).to.equal(true);
  } else {
    expect(['level0', 'level1', 'level2']).to.include(info.profile);
  }
  if ('sizes' in info) {
    expect(info.sizes).to.be.an('array');
    for (const sz of info.sizes as Record<string, unknown>[]) {
      expect(sz).to.be.an('object');
      expect(Number.isInteger(sz.width) && Number.isInteger(sz.height), JSON.stringify(sz)).to.equal(true);
    }
  }
  if ('tiles' in info) {
    expect(info.tiles).to.be.an('array');
    for (const t of info.tiles as Record<string, unknown>[]) {
      expect(t).to.be.an('object');
      expect(t).to.have.property('scaleFactors');
      expect(Number.isInteger(t.width)).to.equal(true);
    }
  }
  if (version !== 3) return;
  expect(info.type).to.equal('ImageService3');
  expect(info, 'license was renamed rights in 3.0').not.to.have.property('license');
  if ('rights' in info) expect((info.rights as string).startsWith('http')).to.equal(true);
  for (const list of ['extraQualities', 'extraFormats', 'extraFeatures']) if (list in info) expect(info[list], list).to.be.an('array');
  for (const link of ['service', 'partOf', 'seeAlso']) {
    if (!(link in info)) continue;
    expect(info[link], link).to.be.an('array');
    for (const item of info[link] as Record<string, unknown>[]) {
      expect(item).to.be.an('object');
      if (link === 'service') {
        expect('id' in item || '@id' in item, 'service id').to.equal(true);
        expect('type' in item || '@type' in item, 'service type').to.equal(true);
      } else {
        expect('id' in item && 'type' in item, `${link} id and type`).to.equal(true);
      }
      if ('label' in item) {
        expect(item.label).to.be.an('object');
        for (const values of Object.values(item.label as Record<string, unknown>)) expect(values).to.be.an('array');
      }
    }
  }
  expect(info, 'attribution was removed in 3.0').not.to.have.property('attribution');
  expect(info, 'logo was removed in 3.0').not.to.have.property('logo');
}

/** What a client reads: the body as it arrives over HTTP. */
function overTheWire<T>(info: T): unknown {
  return JSON.parse(JSON.stringify(info)) as unknown;
}

interface TileRequest {
  region: string;
  size: string;
  /** The size OpenSeadragon lays the tile out at. */
  expectW: number;
  expectH?: number;
}

/**
 * The tile requests OpenSeadragon 5 makes for an info.json (IIIFTileSource: the level count
 * from the largest scale factor, level sizes from `sizes` when it has one entry per level,
 * else ceil(side × scale), and getTileUrl's region/size arithmetic).
 */
function viewerTileRequests(version: ApiVersion, info: { width: number; height: number; sizes: InfoSize[]; tiles: InfoTile[] }): TileRequest[] {
  const { width: W, height: H } = info;
  const tile = info.tiles[0];
  const tw = tile.width;
  const th = tile.height ?? tile.width;
  const maxLevel = Math.round(Math.log2(Math.max(...tile.scaleFactors)));
  let levels: InfoSize[] | undefined;
  if (info.sizes.length === maxLevel || info.sizes.length === maxLevel + 1) {
    levels = [...info.sizes].sort((a, b) => a.width - b.width);
    if (info.sizes.length === maxLevel) levels.push({ width: W, height: H });
  }
  const out: TileRequest[] = [];
  for (let level = 0; level <= maxLevel; level++) {
    const scale = 0.5 ** (maxLevel - level);
    const levelW = levels ? levels[level].width : Math.ceil(W * scale);
    const levelH = levels ? levels[level].height : Math.ceil(H * scale);
    if (levelW < tw && levelH < th) {
      const sizeParam =
        version === 2 && levelW === W ? 'full'
        : version === 3 && levelW === W && levelH === H ? 'max'
        : version === 3 ? `${levelW},${levelH}` : `${levelW},`;
      out.push({ region: 'full', size: sizeParam, expectW: levelW, expectH: version === 3 ? levelH : undefined });
      continue;
    }
    const regionW = Math.round(tw / scale);
    const regionH = Math.round(th / scale);
    for (let x = 0; x < Math.ceil(levelW / tw); x++) {
      for (let y = 0; y < Math.ceil(levelH / th); y++) {
        const rx = x * regionW;
        const ry = y * regionH;
        const rw = Math.min(regionW, W - rx);
        const rh = Math.min(regionH, H - ry);
        const region = x === 0 && y === 0 && rw === W && rh === H ? 'full' : `${rx},${ry},${rw},${rh}`;
        const sw = Math.min(tw, levelW - x * tw);
        const sh = Math.min(th, levelH - y * th);
        const sizeParam =
          version === 2 && sw === W ? 'full'
          : version === 3 && sw === W && sh === H ? 'max'
          : version === 3 ? `${sw},${sh}` : `${sw},`;
        out.push({ region, size: sizeParam, expectW: sw, expectH: version === 3 ? sh : undefined });
      }
    }
  }
  return out;
}

describe('IIIF Image API information (buildInfo)', () => {
  describe('the pyramid (scaleFactorsFor, levelSizes)', () => {
    it('scale factors are powers of 2 up to the one where the image fits one tile', () => {
      expect(scaleFactorsFor(1, 1)).to.deep.equal([1]);
      expect(scaleFactorsFor(512, 512)).to.deep.equal([1]);
      expect(scaleFactorsFor(513, 7)).to.deep.equal([1, 2]);
      expect(scaleFactorsFor(7, 513)).to.deep.equal([1, 2]);
      // The 3.0 §5.4 example: 6000×4000 with 512 tiles has scale factors 1..16.
      expect(scaleFactorsFor(6000, 4000)).to.deep.equal([1, 2, 4, 8, 16]);
      expect(scaleFactorsFor(10_000, 10_000)).to.deep.equal([1, 2, 4, 8, 16, 32]);
      expect(scaleFactorsFor(10_000, 10_000, 256)).to.deep.equal([1, 2, 4, 8, 16, 32, 64]);
      expect(scaleFactorsFor(1025, 10, 1024)).to.deep.equal([1, 2]);
    });

    it('level sizes are ceil(side / factor), smallest first, ending at the full size', () => {
      expect(levelSizes(1, 1)).to.deep.equal([{ width: 1, height: 1 }]);
      expect(levelSizes(513, 7)).to.deep.equal([{ width: 257, height: 4 }, { width: 513, height: 7 }]);
      expect(levelSizes(6000, 4000)).to.deep.equal([
        { width: 375, height: 250 },
        { width: 750, height: 500 },
        { width: 1500, height: 1000 },
        { width: 3000, height: 2000 },
        { width: 6000, height: 4000 },
      ]);
      const big = levelSizes(10_000, 10_000);
      expect(big[0]).to.deep.equal({ width: 313, height: 313 });
      expect(big[big.length - 1]).to.deep.equal({ width: 10_000, height: 10_000 });
      for (const [w, h] of ODD_SIZES) {
        const sizes = levelSizes(w, h);
        expect(sizes.length).to.equal(scaleFactorsFor(w, h).length);
        expect(sizes[0].width <= 512 && sizes[0].height <= 512, `${w}×${h} smallest level fits a tile`).to.equal(true);
      }
    });
  });

  describe('IIIF 3.0', () => {
    for (const [w, h] of ODD_SIZES) {
      it(`${w}×${h}: passes the validator's info_json checks`, () => {
        const info = build3(w, h);
        validatorInfoChecks(3, `${serviceId(3, w, h)}/info.json`, overTheWire(info));
      });
    }

    it('has the required properties, @context first', () => {
      const info = build3(6000, 4000, { rights: 'http://rightsstatements.org/vocab/InC-EDU/1.0/' });
      expect(Object.keys(info)[0]).to.equal('@context');
      expect(info).to.deep.include({
        '@context': 'http://iiif.io/api/image/3/context.json',
        id: `${BASE}/3/file-6000x4000`,
        type: 'ImageService3',
        protocol: 'http://iiif.io/api/image',
        profile: 'level2',
        width: 6000,
        height: 4000,
        maxWidth: 10_000,
        maxHeight: 10_000,
        maxArea: 100_000_000,
        rights: 'http://rightsstatements.org/vocab/InC-EDU/1.0/',
      });
      expect(info.tiles).to.deep.equal([{ width: 512, scaleFactors: [1, 2, 4, 8, 16] }]);
      expect(info.sizes.map((s) => `${s.width}x${s.height}`)).to.deep.equal(['375x250', '750x500', '1500x1000', '3000x2000', '6000x4000']);
      expect(info).not.to.have.property('license');
      expect(info).not.to.have.property('service');
    });

    it('extraFeatures names only 3.0 features, none of the 2.x names 3.0 removed', () => {
      const info = build3(6000, 4000);
      expect(info.extraFeatures).to.have.length.above(0);
      for (const f of info.extraFeatures) expect(FEATURES_3, f).to.include(f);
      for (const f of REMOVED_IN_3) expect(info.extraFeatures).not.to.include(f);
      expect(info.extraFeatures).to.include.members(['mirroring', 'rotationArbitrary', 'sizeUpscaling']);
      expect(new Set(info.extraFeatures).size).to.equal(info.extraFeatures.length);
    });

    it('declares maxWidth (and maxArea) whenever it declares sizeUpscaling; maxHeight only with maxWidth', () => {
      for (const [w, h] of ODD_SIZES) {
        const info = overTheWire(build3(w, h)) as Record<string, unknown>;
        if ((info.extraFeatures as string[]).includes('sizeUpscaling')) {
          expect('maxWidth' in info || 'maxArea' in info, `${w}×${h}`).to.equal(true);
        }
        if ('maxHeight' in info) expect(info).to.have.property('maxWidth');
        for (const k of ['maxWidth', 'maxHeight', 'maxArea']) if (k in info) expect(Number.isInteger(info[k]), k).to.equal(true);
      }
    });

    it('extraFormats and extraQualities add exactly what the parser accepts beyond level 2', () => {
      const info = build3(100, 100);
      expect(info.extraFormats).to.have.members(['webp', 'tif', 'gif']);
      expect([...LEVEL2_FORMATS, ...info.extraFormats]).to.have.members([...FORMATS]);
      expect(info.extraQualities).to.have.members(['color', 'gray', 'bitonal']);
      expect(['default', ...info.extraQualities]).to.have.members([...QUALITIES]);
      for (const format of [...LEVEL2_FORMATS, ...info.extraFormats]) {
        for (const quality of ['default', ...info.extraQualities]) {
          const plan = parseImageRequest(3, { region: 'full', size: 'max', rotation: '0', quality, format }, info, LIMITS);
          expect(plan.canonical).to.equal(`full/max/0/${quality}.${format}`);
        }
      }
    });

    it('puts the given services (e.g. the Auth 2.0 probe service) in service', () => {
      const probe = {
        id: 'http://colophon.test/iiif/auth/v2/probe/f1',
        type: 'AuthProbeService2',
        service: [{ id: 'http://colophon.test/iiif/auth/v2/access', type: 'AuthAccessService2', profile: 'active', label: { en: ['Log in'] } }],
      };
      const info = build3(1000, 1000, { services: [probe] });
      expect(info.service).to.deep.equal([probe]);
      validatorInfoChecks(3, `${serviceId(3, 1000, 1000)}/info.json`, overTheWire(info));
    });

    it('overrides: tile size, scale factors, sizes, extra formats and qualities', () => {
      const info = build3(6000, 4000, {
        tileSize: 256,
        sizes: [{ width: 150, height: 100 }],
        extraFormats: ['png', 'webp'],
        extraQualities: ['default', 'gray'],
      });
      expect(info.tiles).to.deep.equal([{ width: 256, scaleFactors: [1, 2, 4, 8, 16, 32] }]);
      expect(info.sizes).to.deep.equal([{ width: 150, height: 100 }]);
      expect(info.extraFormats).to.deep.equal(['webp']);
      expect(info.extraQualities).to.deep.equal(['gray']);
      expect(build3(6000, 4000, { scaleFactors: [1, 4] }).tiles[0].scaleFactors).to.deep.equal([1, 4]);
    });
  });

  describe('IIIF 2.1', () => {
    for (const [w, h] of ODD_SIZES) {
      it(`${w}×${h}: passes the validator's info_json checks`, () => {
        const info = build2(w, h);
        validatorInfoChecks(2, `${serviceId(2, w, h)}/info.json`, overTheWire(info));
      });
    }

    it('has the required properties and a level 2 profile with its description object', () => {
      const info = build2(6000, 4000, { rights: 'https://creativecommons.org/licenses/by/4.0/' });
      expect(Object.keys(info)[0]).to.equal('@context');
      expect(info).to.deep.include({
        '@context': 'http://iiif.io/api/image/2/context.json',
        '@id': `${BASE}/2/file-6000x4000`,
        protocol: 'http://iiif.io/api/image',
        width: 6000,
        height: 4000,
        license: 'https://creativecommons.org/licenses/by/4.0/',
      });
      expect(info).not.to.have.property('rights');
      expect(info).not.to.have.property('id');
      expect(info).not.to.have.property('type');
      expect(info.profile[0]).to.equal('http://iiif.io/api/image/2/level2.json');
      const profile = info.profile[1];
      expect(profile.formats).to.have.members([...FORMATS]);
      expect(profile.qualities).to.have.members([...QUALITIES]);
      expect(profile).to.deep.include({ maxWidth: 10_000, maxHeight: 10_000, maxArea: 100_000_000 });
      expect(info.tiles).to.deep.equal([{ width: 512, scaleFactors: [1, 2, 4, 8, 16] }]);
    });

    it('supports names only 2.1 features, with the ones this server adds to level 2', () => {
      const supports = build2(100, 100).profile[1].supports;
      for (const f of supports) expect(FEATURES_2, f).to.include(f);
      expect(supports).to.include.members(['mirroring', 'rotationArbitrary', 'sizeAboveFull', 'regionSquare']);
      expect(supports).not.to.include('sizeUpscaling');
    });

    it('every advertised format and quality is accepted', () => {
      const info = build2(100, 100);
      for (const format of info.profile[1].formats) {
        for (const quality of info.profile[1].qualities) {
          const plan = parseImageRequest(2, { region: 'full', size: 'full', rotation: '0', quality, format }, info, LIMITS);
          expect(plan.canonical).to.equal(`full/full/0/${quality}.${format}`);
        }
      }
    });

    it('puts the given services in service', () => {
      const probe = { id: 'http://colophon.test/iiif/auth/v2/probe/f1', type: 'AuthProbeService2' };
      expect(build2(10, 10, { services: [probe] }).service).to.deep.equal([probe]);
      expect(build2(10, 10, { services: [] })).not.to.have.property('service');
    });
  });

  describe('sizes and tiles are within the limits and requestable', () => {
    const limitCases: [string, ImageLimits][] = [
      ['generous limits', LIMITS],
      ['the 3.0 §5.2 limits', { maxWidth: 3000, maxHeight: 2000, maxArea: 4_000_000 }],
      ['a small maxArea', { maxWidth: 10_000, maxHeight: 10_000, maxArea: 1_000_000 }],
    ];
    for (const version of [3, 2] as ApiVersion[]) {
      for (const [label, limits] of limitCases) {
        for (const [w, h] of ODD_SIZES) {
          it(`IIIF ${version}, ${w}×${h}, ${label}`, () => {
            const info = buildInfo(version, { id: serviceId(version, w, h), width: w, height: h, limits });
            // "Servers MUST ensure that sizes specified by any sizes or tiles properties are
            // within any size limits expressed" (3.0 §5.2).
            for (const s of info.sizes) {
              expect(s.width <= limits.maxWidth && s.height <= limits.maxHeight && s.width * s.height <= limits.maxArea, JSON.stringify(s)).to.equal(true);
            }
            const inLimits = levelSizes(w, h).filter((s) => s.width <= limits.maxWidth && s.height <= limits.maxHeight && s.width * s.height <= limits.maxArea);
            expect(info.sizes).to.deep.equal(inLimits);
            // 3.0: "A request constructed with the w,h syntax using these sizes MUST be
            // supported"; 2.1 asks for w, and w,h to work alike (§5.2 warning).
            for (const s of info.sizes) {
              const forms = version === 3 ? [`${s.width},${s.height}`] : [`${s.width},`, `${s.width},${s.height}`];
              for (const sizeParam of forms) {
                const plan = parseImageRequest(version, { region: 'full', size: sizeParam, rotation: '0', quality: 'default', format: 'jpg' }, info, limits);
                expect(plan.size.w, sizeParam).to.equal(s.width);
                // w, derives the height from the aspect ratio; a listed width that is off by up
                // to a pixel moves it by up to H/W pixels (36 px on the 4×257 level of 7×513).
                if (sizeParam.endsWith(',')) expect(Math.abs(plan.size.h - s.height), sizeParam).to.be.at.most(Math.ceil(h / w));
                else expect(plan.size.h, sizeParam).to.equal(s.height);
              }
            }
            const requests = viewerTileRequests(version, info);
            expect(requests.length).to.be.above(0);
            for (const t of requests) {
              const plan = parseImageRequest(version, { region: t.region, size: t.size, rotation: '0', quality: 'default', format: 'jpg' }, info, limits);
              expect(plan.size.w, `${t.region}/${t.size}`).to.equal(t.expectW);
              if (t.expectH !== undefined) expect(plan.size.h, `${t.region}/${t.size}`).to.equal(t.expectH);
            }
          });
        }
      }
    }

    it('a 10000×10000 image yields every tile of its 6 levels to the viewer', () => {
      const info = build3(10_000, 10_000);
      const requests = viewerTileRequests(3, info);
      // 20×20 + 10×10 + 5×5 + 3×3 + 2×2 + 1 tiles.
      expect(requests).to.have.length(400 + 100 + 25 + 9 + 4 + 1);
      expect(requests.filter((r) => r.region === 'full')).to.have.length(1);
    });
  });
});
