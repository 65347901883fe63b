import { expect } from 'chai';
import {
  parseImageRequest,
  type ImageRequestParams,
  type ParseOptions,
} from '../../../../plugins/iiif-image/protocol/image-request';
import {
  type ApiVersion,
  FORMATS,
  type ImageFacts,
  ImageApiError,
  type ImageLimits,
  type ImagePlan,
  QUALITIES,
} from '../../../../plugins/iiif-image/protocol/types';

/*
 * The image request parameters of IIIF Image API 3.0 and 2.1 at the protocol level. The
 * validator's request checks (github.com/IIIF/image-validator, iiif_validator/tests/) are
 * reproduced on its own test image geometry: 1000×1000, a 10×10 grid of 100 px squares. Where
 * the validator draws random numbers, every value of its range (or a fixed-seed sample of its
 * random strings) is tried, so the spec is deterministic and covers what any run could draw.
 */

const LIMITS: ImageLimits = { maxWidth: 4000, maxHeight: 4000, maxArea: 16_000_000 };
const VALIDATOR_IMAGE: ImageFacts = { width: 1000, height: 1000 };
/** The 300×200 image of the 3.0 spec examples (§4.1, §4.2). */
const SPEC_IMAGE: ImageFacts = { width: 300, height: 200 };
const VERSIONS: ApiVersion[] = [3, 2];

function defaults(version: ApiVersion): ImageRequestParams {
  return { region: 'full', size: version === 3 ? 'max' : 'full', rotation: '0', quality: 'default', format: 'jpg' };
}

function req(
  version: ApiVersion,
  parts: Partial<ImageRequestParams>,
  image: ImageFacts = VALIDATOR_IMAGE,
  limits: ImageLimits = LIMITS,
  options?: ParseOptions,
): ImagePlan {
  return parseImageRequest(version, { ...defaults(version), ...parts }, image, limits, options);
}

function size(version: ApiVersion, sizeParam: string, image?: ImageFacts, limits?: ImageLimits, region = 'full'): [number, number] {
  const plan = req(version, { size: sizeParam, region }, image, limits);
  return [plan.size.w, plan.size.h];
}

/** The status of the ImageApiError a request throws; fails the test if it does not throw. */
function errorStatus(
  version: ApiVersion,
  parts: Partial<ImageRequestParams>,
  image: ImageFacts = VALIDATOR_IMAGE,
  limits: ImageLimits = LIMITS,
): number {
  try {
    const plan = req(version, parts, image, limits);
    expect.fail(`${JSON.stringify(parts)} (IIIF ${version}) was accepted as ${plan.canonical}`);
  } catch (err) {
    if (err instanceof ImageApiError) return err.status;
    throw err;
  }
}

function expectBadRequest(version: ApiVersion, parts: Partial<ImageRequestParams>, image?: ImageFacts, limits?: ImageLimits): void {
  expect(errorStatus(version, parts, image, limits), JSON.stringify(parts)).to.equal(400);
}

/** A small seeded PRNG (mulberry32), so "random" validator values are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Strings like the validator's make_randomstring: code points 48..122, with ? # / replaced by $. */
function validatorRandomStrings(seed: number, length: number, count: number): string[] {
  const rand = seeded(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let s = '';
    for (let j = 0; j < length; j++) s += String.fromCharCode(48 + Math.floor(rand() * 75));
    out.push(s.replace(/[?#/]/g, '$'));
  }
  return out;
}

/** Parse the canonical form of a plan again: it must give the same plan (canonical is a fixpoint). */
function reparse(plan: ImagePlan, image: ImageFacts, limits: ImageLimits): ImagePlan {
  const [region, sizeParam, rotation, last] = plan.canonical.split('/');
  const dot = last.lastIndexOf('.');
  return parseImageRequest(
    plan.version,
    { region, size: sizeParam, rotation, quality: last.slice(0, dot), format: last.slice(dot + 1) },
    image,
    limits,
  );
}

describe('IIIF Image API request parameters (parseImageRequest)', () => {
  describe('region', () => {
    for (const version of VERSIONS) {
      it(`IIIF ${version}: full is the whole image and canonically "full"`, () => {
        const plan = req(version, { region: 'full' }, { width: 6000, height: 4000 }, { maxWidth: 6000, maxHeight: 6000, maxArea: 36e6 });
        expect(plan.region).to.deep.equal({ x: 0, y: 0, w: 6000, h: 4000 });
        expect(plan.canonical.split('/')[0]).to.equal('full');
      });

      it(`IIIF ${version}: square is the shorter side, centred in the longer one`, () => {
        expect(req(version, { region: 'square' }, { width: 6000, height: 4000 }).region).to.deep.equal({ x: 1000, y: 0, w: 4000, h: 4000 });
        expect(req(version, { region: 'square' }, { width: 400, height: 601 }).region).to.deep.equal({ x: 0, y: 100, w: 400, h: 400 });
        const landscape = req(version, { region: 'square' }, { width: 6000, height: 4000 });
        expect(landscape.canonical.split('/')[0]).to.equal('1000,0,4000,4000');
        // 2.1 §4.7: "including a square region of a square image" is canonically full.
        expect(req(version, { region: 'square' }).canonical.split('/')[0]).to.equal('full');
      });

      it(`IIIF ${version}: x,y,w,h and pct:x,y,w,h as in the 3.0 §4.1 examples (300×200)`, () => {
        const px = req(version, { region: '125,15,120,140' }, SPEC_IMAGE);
        expect(px.region).to.deep.equal({ x: 125, y: 15, w: 120, h: 140 });
        const pct = req(version, { region: 'pct:41.6,7.5,40,70' }, SPEC_IMAGE);
        expect(pct.region).to.deep.equal({ x: 125, y: 15, w: 120, h: 140 });
        expect(pct.canonical.split('/')[0]).to.equal('125,15,120,140');
      });

      it(`IIIF ${version}: a region beyond the edge is cropped at it (examples 5 and 6: 175×185)`, () => {
        for (const region of ['125,15,200,200', 'pct:41.6,7.5,66.6,100']) {
          const plan = req(version, { region }, SPEC_IMAGE);
          expect(plan.region, region).to.deep.equal({ x: 125, y: 15, w: 175, h: 185 });
          expect(plan.size, region).to.deep.equal({ w: 175, h: 185 });
          expect(plan.canonical.split('/')[0]).to.equal('125,15,175,185');
        }
      });

      it(`IIIF ${version}: a pixel or percent region covering the image is canonically full`, () => {
        for (const region of ['0,0,1000,1000', '0,0,5000,9000', 'pct:0,0,100,100', 'pct:0,0,250,100.5']) {
          const plan = req(version, { region });
          expect(plan.region, region).to.deep.equal({ x: 0, y: 0, w: 1000, h: 1000 });
          expect(plan.canonical.split('/')[0], region).to.equal('full');
        }
      });

      it(`IIIF ${version}: percentages may be decimals, with or without a leading zero`, () => {
        expect(req(version, { region: 'pct:10.5,0.25,33.3,.5' }).region).to.deep.equal({ x: 105, y: 3, w: 333, h: 5 });
        // A tiny non-zero percentage still selects a pixel.
        expect(req(version, { region: 'pct:0,0,0.01,0.01' }).region).to.deep.equal({ x: 0, y: 0, w: 1, h: 1 });
        // Just under 100% rounds to the edge but stays inside.
        expect(req(version, { region: 'pct:99.99,99.99,1,1' }).region).to.deep.equal({ x: 999, y: 999, w: 1, h: 1 });
      });

      it(`IIIF ${version}: validator region_pixels: every x*100+13,y*100+13,74,74 square`, () => {
        for (let x = 0; x <= 9; x++) {
          for (let y = 0; y <= 9; y++) {
            const plan = req(version, { region: `${x * 100 + 13},${y * 100 + 13},74,74` });
            expect(plan.region).to.deep.equal({ x: x * 100 + 13, y: y * 100 + 13, w: 74, h: 74 });
            expect(plan.size).to.deep.equal({ w: 74, h: 74 });
          }
        }
      });

      it(`IIIF ${version}: validator region_percent: every pct:x*10+1,y*10+1,9,9 lies inside one grid square`, () => {
        for (let x = 0; x <= 9; x++) {
          for (let y = 0; y <= 9; y++) {
            const plan = req(version, { region: `pct:${x * 10 + 1},${y * 10 + 1},9,9` });
            expect(plan.region).to.deep.equal({ x: x * 100 + 10, y: y * 100 + 10, w: 90, h: 90 });
          }
        }
      });

      it(`IIIF ${version}: a region entirely outside the image is 400`, () => {
        for (const region of ['1000,0,10,10', '0,1000,10,10', '5000,5000,1,1', 'pct:100,0,10,10', 'pct:0,100,10,10', 'pct:150,20,10,10']) {
          expectBadRequest(version, { region });
        }
      });

      it(`IIIF ${version}: a region of zero width or height is 400`, () => {
        for (const region of ['0,0,0,10', '0,0,10,0', 'pct:0,0,0,10', 'pct:0,0,10,0.0']) expectBadRequest(version, { region });
      });

      it(`IIIF ${version}: malformed regions are 400`, () => {
        const malformed = [
          '', 'Full', 'FULL', ' full', 'squares', '0,0,10', '0,0,10,10,10', '-1,0,10,10', '0,0,10,-10', '1.5,0,10,10',
          '0,0,10,10,', ',0,0,10', '0, 0,10,10', 'pct:', 'pct:1,2,3', 'pct:+1,2,3,4', 'pct:1e1,2,3,4', 'pct:1.,2,3,4',
          'pct:-1,2,3,4', 'pct:1,2,3,4,5', 'px:0,0,1,1', 'percent:1,1,1,1', '0x0,10,10',
        ];
        for (const region of malformed) expectBadRequest(version, { region });
      });

      it(`IIIF ${version}: validator region_error_random: random 6-character regions are 400`, () => {
        for (const region of validatorRandomStrings(version * 1001, 6, 300)) expectBadRequest(version, { region });
      });
    }
  });

  describe('size, IIIF 3.0', () => {
    it('max is the region, constrained by maxWidth/maxHeight (3.0 §5.2 example: 6000×4000 within 3000×2000)', () => {
      expect(size(3, 'max')).to.deep.equal([1000, 1000]);
      expect(size(3, 'max', SPEC_IMAGE, LIMITS, '125,15,120,140')).to.deep.equal([120, 140]);
      expect(size(3, 'max', { width: 6000, height: 4000 }, { maxWidth: 3000, maxHeight: 2000, maxArea: 6_000_000 })).to.deep.equal([3000, 2000]);
      // The §5.2 example's own maxArea (4,000,000) is below 3000×2000; it wins, aspect kept.
      expect(size(3, 'max', { width: 6000, height: 4000 }, { maxWidth: 3000, maxHeight: 2000, maxArea: 4_000_000 })).to.deep.equal([2449, 1633]);
    });

    it('max is constrained by maxArea, keeping the aspect ratio', () => {
      const limits = { maxWidth: 10_000, maxHeight: 10_000, maxArea: 1_000_000 };
      const [w, h] = size(3, 'max', { width: 2000, height: 1000 }, limits);
      expect([w, h]).to.deep.equal([1414, 707]);
      expect(w * h).to.be.at.most(limits.maxArea);
    });

    it('^max scales up (or down) to the limits (§4.2)', () => {
      expect(size(3, '^max')).to.deep.equal([4000, 4000]);
      expect(size(3, '^max', SPEC_IMAGE)).to.deep.equal([4000, 2667]);
      expect(size(3, '^max', { width: 1000, height: 500 }, { maxWidth: 4000, maxHeight: 4000, maxArea: 2_000_000 })).to.deep.equal([2000, 1000]);
      expect(size(3, '^max', { width: 8000, height: 8000 })).to.deep.equal([4000, 4000]);
    });

    it('the 3.0 §4.2 examples on a 300×200 image', () => {
      expect(size(3, '150,', SPEC_IMAGE)).to.deep.equal([150, 100]);
      expect(size(3, ',150', SPEC_IMAGE)).to.deep.equal([225, 150]);
      expect(size(3, 'pct:50', SPEC_IMAGE)).to.deep.equal([150, 100]);
      expect(size(3, '225,100', SPEC_IMAGE)).to.deep.equal([225, 100]);
      expect(size(3, '!225,100', SPEC_IMAGE)).to.deep.equal([150, 100]);
      expect(size(3, '^360,', SPEC_IMAGE)).to.deep.equal([360, 240]);
      expect(size(3, '^,240', SPEC_IMAGE)).to.deep.equal([360, 240]);
      expect(size(3, '^pct:120', SPEC_IMAGE)).to.deep.equal([360, 240]);
      expect(size(3, '^360,360', SPEC_IMAGE)).to.deep.equal([360, 360]);
      expect(size(3, '^!360,360', SPEC_IMAGE)).to.deep.equal([360, 240]);
    });

    it('validator size_wc, size_ch, size_percent: every s of their ranges on 1000×1000', () => {
      for (let s = 450; s <= 750; s++) {
        expect(size(3, `${s},`)).to.deep.equal([s, s]);
        expect(size(3, `,${s}`)).to.deep.equal([s, s]);
      }
      for (let s = 45; s <= 75; s++) expect(size(3, `pct:${s}`)).to.deep.equal([s * 10, s * 10]);
    });

    it('validator size_wh and size_bwh: w,h exactly, !w,h the largest square within', () => {
      for (let w = 350; w <= 750; w += 7) {
        for (let h = 350; h <= 750; h += 11) {
          expect(size(3, `${w},${h}`)).to.deep.equal([w, h]);
          expect(size(3, `!${w},${h}`)).to.deep.equal([Math.min(w, h), Math.min(w, h)]);
        }
      }
    });

    it('validator size_region: a 100×100 region at every s,s of 35..90', () => {
      for (let s = 35; s <= 90; s++) {
        const plan = req(3, { region: `${(s % 10) * 100},${(s % 7) * 100},100,100`, size: `${s},${s}` });
        expect(plan.size).to.deep.equal({ w: s, h: s });
      }
    });

    it('validator size_noup: without ^ a size above the region is 400', () => {
      for (const s of [1001, 1100, 1500, 2000]) {
        for (const sizeParam of [`${s},${s}`, `,${s}`, `${s},`, `${s},500`, `500,${s}`]) expectBadRequest(3, { size: sizeParam });
      }
      expectBadRequest(3, { size: 'pct:200' });
      expectBadRequest(3, { size: 'pct:100.5' });
      // The validator also expects !2000,3000 to fail without ^ (see ParseOptions.clampConfinedSize).
      expectBadRequest(3, { size: '!2000,3000' });
      expectBadRequest(3, { size: '!1001,1001' });
    });

    it('validator size_up: the ^ forms upscale to exactly the validator sizes', () => {
      for (const s of [1100, 1357, 2000]) {
        expect(size(3, `^${s},${s}`)).to.deep.equal([s, s]);
        expect(size(3, `^,${s}`)).to.deep.equal([s, s]);
        expect(size(3, `^${s},`)).to.deep.equal([s, s]);
      }
      expect(size(3, '^pct:200')).to.deep.equal([2000, 2000]);
      expect(size(3, '^!2000,500')).to.deep.equal([500, 500]);
      expect(size(3, '^!2000,3000')).to.deep.equal([2000, 2000]);
    });

    it('^max follows §4.2 (the limits), not the validator size_up guess of the region size', () => {
      // The validator expects ^max = 1000×1000 on its image, with the comment "needs a bit more
      // thought as maximum may not be the same as full, should check the info.json". The spec
      // says "scaled to the maximum size permitted by maxWidth, maxHeight, or maxArea".
      expect(size(3, '^max')).to.deep.equal([LIMITS.maxWidth, LIMITS.maxHeight]);
      // With limits equal to the image, ^max is max.
      expect(size(3, '^max', VALIDATOR_IMAGE, { maxWidth: 1000, maxHeight: 1000, maxArea: 1_000_000 })).to.deep.equal([1000, 1000]);
    });

    it('!w,h without ^ is accepted when the fit needs no upscaling, even if one side of the box is larger', () => {
      expect(size(3, '!2000,500')).to.deep.equal([500, 500]);
      expect(size(3, '!1000,1000')).to.deep.equal([1000, 1000]);
      expect(size(3, '!300,5000', SPEC_IMAGE)).to.deep.equal([300, 200]);
    });

    it('clampConfinedSize: !w,h larger than the region returns the region instead of 400', () => {
      const plan = req(3, { size: '!2000,3000' }, VALIDATOR_IMAGE, LIMITS, { clampConfinedSize: true });
      expect(plan.size).to.deep.equal({ w: 1000, h: 1000 });
      expect(plan.canonical).to.equal('full/max/0/default.jpg');
      // ^ sizes are unaffected.
      expect(req(3, { size: '^!2000,3000' }, VALIDATOR_IMAGE, LIMITS, { clampConfinedSize: true }).size).to.deep.equal({ w: 2000, h: 2000 });
    });

    it('^ sizes that do not need upscaling are fine', () => {
      expect(size(3, '^500,')).to.deep.equal([500, 500]);
      expect(size(3, '^pct:50')).to.deep.equal([500, 500]);
      expect(size(3, '^max', VALIDATOR_IMAGE, { maxWidth: 800, maxHeight: 800, maxArea: 640_000 })).to.deep.equal([800, 800]);
    });

    it('validator size_nofull: "full" is not a 3.0 size', () => {
      expectBadRequest(3, { size: 'full' });
      expectBadRequest(3, { size: '^full' });
    });

    it('sizes beyond maxWidth, maxHeight or maxArea are 400; max and !w,h are constrained instead', () => {
      const big = { width: 10_000, height: 10_000 };
      expectBadRequest(3, { size: '5000,' }, big);
      expectBadRequest(3, { size: ',4001' }, big);
      expectBadRequest(3, { size: '4001,10' }, big);
      expectBadRequest(3, { size: 'pct:50' }, big);
      expectBadRequest(3, { size: '^pct:500' });
      expectBadRequest(3, { size: '^4001,' });
      expect(size(3, '^4000,4000')).to.deep.equal([4000, 4000]); // maxArea is inclusive
      const area = { maxWidth: 4000, maxHeight: 4000, maxArea: 1_000_000 };
      expectBadRequest(3, { size: '1001,1000' }, big, area);
      expect(size(3, '1000,1000', big, area)).to.deep.equal([1000, 1000]);
      expect(size(3, 'max', big)).to.deep.equal([4000, 4000]);
      expect(size(3, '!8000,8000', big)).to.deep.equal([4000, 4000]);
      expect(size(3, '!8000,2000', big, area)).to.deep.equal([1000, 1000]);
      expect(size(3, '^!9000,9000', VALIDATOR_IMAGE)).to.deep.equal([4000, 4000]);
    });

    it('derived sides round to the nearest pixel and never drop below 1', () => {
      const img = { width: 6000, height: 4000 };
      expect(size(3, '1000,', img)).to.deep.equal([1000, 667]);
      expect(size(3, ',1000', img)).to.deep.equal([1500, 1000]);
      expect(size(3, 'pct:33.3', img)).to.deep.equal([1998, 1332]);
      expect(size(3, '!1000,1000', img)).to.deep.equal([1000, 667]);
      // A 3 px edge strip at 1/8 (what a viewer asks for at the last row of a pyramid level).
      expect(size(3, '512,', { width: 6000, height: 4099 }, LIMITS, '0,4096,4096,3')).to.deep.equal([512, 1]);
      expect(size(3, 'pct:0.01')).to.deep.equal([1, 1]);
    });

    it('zero sizes are 400', () => {
      for (const sizeParam of ['0,', ',0', '0,0', '0,10', '10,0', '!0,10', '!10,0', 'pct:0', '^0,', '^pct:0', 'pct:0.0']) {
        expectBadRequest(3, { size: sizeParam });
      }
    });

    it('malformed sizes are 400', () => {
      const malformed = [
        '', ',', '!,', '^', '^^max', 'MAX', 'Max', 'max,', '10,10,', '1.5,', ',1.5', 'pct:-1', 'pct:1e2', 'pct:', 'pct:+5',
        '!10,', '!,10', '10', '-10,', '10,-10', '!!10,10', '^!^10,10', '!^10,10', 'pct:50,', ' 10,', 'pct: 50', '10,10^',
      ];
      for (const sizeParam of malformed) expectBadRequest(3, { size: sizeParam });
    });

    it('validator size_error_random: random 6-character sizes are 400', () => {
      for (const sizeParam of validatorRandomStrings(3003, 6, 300)) expectBadRequest(3, { size: sizeParam });
    });
  });

  describe('size, IIIF 2.1', () => {
    it('full and max are the region; max is constrained by the limits, full beyond them is 400', () => {
      expect(size(2, 'full')).to.deep.equal([1000, 1000]);
      expect(size(2, 'max')).to.deep.equal([1000, 1000]);
      const limited = { maxWidth: 3000, maxHeight: 2000, maxArea: 6_000_000 };
      expect(size(2, 'max', { width: 6000, height: 4000 }, limited)).to.deep.equal([3000, 2000]);
      expectBadRequest(2, { size: 'full' }, { width: 6000, height: 4000 }, limited);
    });

    it('every form of §4.2 on the 300×200 image', () => {
      expect(size(2, '150,', SPEC_IMAGE)).to.deep.equal([150, 100]);
      expect(size(2, ',150', SPEC_IMAGE)).to.deep.equal([225, 150]);
      expect(size(2, 'pct:50', SPEC_IMAGE)).to.deep.equal([150, 100]);
      expect(size(2, '225,100', SPEC_IMAGE)).to.deep.equal([225, 100]);
      expect(size(2, '!225,100', SPEC_IMAGE)).to.deep.equal([150, 100]);
    });

    it('validator size_wc, size_ch, size_percent, size_wh, size_bwh on 1000×1000', () => {
      for (let s = 450; s <= 750; s += 3) {
        expect(size(2, `${s},`)).to.deep.equal([s, s]);
        expect(size(2, `,${s}`)).to.deep.equal([s, s]);
      }
      for (let s = 45; s <= 75; s++) expect(size(2, `pct:${s}`)).to.deep.equal([s * 10, s * 10]);
      expect(size(2, '350,750')).to.deep.equal([350, 750]);
      expect(size(2, '!350,750')).to.deep.equal([350, 350]);
    });

    it('validator size_up: sizes above the region are allowed without ^ (sizeAboveFull), within the limits', () => {
      for (const s of [1100, 1500, 2000]) expect(size(2, `,${s}`)).to.deep.equal([s, s]);
      expect(size(2, 'pct:200')).to.deep.equal([2000, 2000]);
      expect(size(2, '!2000,3000')).to.deep.equal([2000, 2000]);
      expect(size(2, '1500,1200')).to.deep.equal([1500, 1200]);
      expectBadRequest(2, { size: '4001,' });
      expectBadRequest(2, { size: 'pct:401' });
      expect(size(2, '!9000,9000')).to.deep.equal([4000, 4000]);
    });

    it('the ^ prefix is 3.0 syntax and 400 in 2.1', () => {
      for (const sizeParam of ['^max', '^500,', '^,500', '^pct:50', '^500,500', '^!500,500']) expectBadRequest(2, { size: sizeParam });
    });

    it('zero and malformed sizes are 400', () => {
      for (const sizeParam of ['0,', ',0', '0,10', '!0,10', 'pct:0', '', ',', 'FULL', 'full,', '1.5,', 'pct:-1', '!10,', '10']) {
        expectBadRequest(2, { size: sizeParam });
      }
      for (const sizeParam of validatorRandomStrings(2002, 6, 300)) expectBadRequest(2, { size: sizeParam });
    });
  });

  describe('rotation', () => {
    for (const version of VERSIONS) {
      it(`IIIF ${version}: multiples of 90, arbitrary decimals and mirroring`, () => {
        const cases: [string, boolean, number, string][] = [
          ['0', false, 0, '0'],
          ['90', false, 90, '90'],
          ['180', false, 180, '180'],
          ['270', false, 270, '270'],
          ['22.5', false, 22.5, '22.5'],
          ['!0', true, 0, '!0'],
          ['!180', true, 180, '!180'],
          ['!345', true, 345, '!345'],
          ['359.99', false, 359.99, '359.99'],
          ['0.5', false, 0.5, '0.5'],
        ];
        for (const [raw, mirror, rotation, canonical] of cases) {
          const plan = req(version, { rotation: raw });
          expect({ mirror: plan.mirror, rotation: plan.rotation }, raw).to.deep.equal({ mirror, rotation });
          expect(plan.canonical.split('/')[2], raw).to.equal(canonical);
        }
      });

      it(`IIIF ${version}: canonical rotation is an integer if possible, else a trimmed decimal with a leading 0`, () => {
        const cases: [string, string, number][] = [
          ['90.0', '90', 90],
          ['022.50', '22.5', 22.5],
          ['.5', '0.5', 0.5],
          ['!.25', '!0.25', 0.25],
          ['1.00000000001', '1', 1],
          ['0.123456789012', '0.123456789', 0.123456789],
          ['360', '0', 0],
          ['!360', '!0', 0],
          ['359.99999999999', '0', 0],
        ];
        for (const [raw, canonical, rotation] of cases) {
          const plan = req(version, { rotation: raw });
          expect(plan.canonical.split('/')[2], raw).to.equal(canonical);
          expect(plan.rotation, raw).to.equal(rotation);
          expect(plan.rotation).to.be.at.least(0).and.below(360);
        }
      });

      it(`IIIF ${version}: validator rot_full_non90 / rot_region_non90: every integer of 1..359`, () => {
        for (let r = 1; r <= 359; r++) {
          const plan = req(version, { rotation: String(r), region: `${(r % 10) * 100},${(r % 9) * 100},100,100` });
          expect(plan.rotation).to.equal(r);
          expect(plan.canonical.split('/')[2]).to.equal(String(r));
        }
      });

      it(`IIIF ${version}: out of range and malformed rotations are 400`, () => {
        const bad = ['361', '360.1', '720', '-90', '-0', '+90', '1e2', '0x10', '', '!', '!!90', '90!', 'abc', ' 90', '90 ', '9 0', '90.', 'NaN', 'Infinity', '٩٠'];
        for (const rotation of bad) expectBadRequest(version, { rotation });
      });

      it(`IIIF ${version}: validator rot_error_random: random 4-character rotations are 400`, () => {
        // A string of digits only (about 1 in 3000) up to 360 would be a valid rotation; such a
        // draw is left out rather than expected to fail.
        const strings = validatorRandomStrings(version * 4004, 4, 400).filter((s) => !/^\d+$/.test(s) || Number(s) > 360);
        expect(strings.length).to.be.above(390);
        for (const rotation of strings) expectBadRequest(version, { rotation });
      });
    }
  });

  describe('quality and format', () => {
    for (const version of VERSIONS) {
      it(`IIIF ${version}: default, color, gray and bitonal are accepted and kept in the canonical form`, () => {
        for (const quality of QUALITIES) {
          const plan = req(version, { quality });
          expect(plan.quality).to.equal(quality);
          expect(plan.canonical.endsWith(`/${quality}.jpg`)).to.equal(true);
        }
      });

      it(`IIIF ${version}: other qualities are 400 (grey is the 1.x spelling, native the 1.x default)`, () => {
        for (const quality of ['grey', 'native', 'Default', 'colour', 'greyscale', '', 'default ']) expectBadRequest(version, { quality });
        for (const quality of validatorRandomStrings(version * 5005, 6, 300)) expectBadRequest(version, { quality });
      });

      it(`IIIF ${version}: jpg, png, webp, tif and gif are accepted`, () => {
        for (const format of FORMATS) {
          const plan = req(version, { format });
          expect(plan.format).to.equal(format);
          expect(plan.canonical.endsWith(`.${format}`)).to.equal(true);
        }
      });

      it(`IIIF ${version}: unsupported formats are 400 (3.0 §4.5, validator format_error_random)`, () => {
        for (const format of ['jp2', 'pdf', 'jpeg', 'tiff', 'JPG', 'bmp', '', 'jpg ']) expectBadRequest(version, { format });
        for (const format of validatorRandomStrings(version * 6006, 3, 300)) expectBadRequest(version, { format });
      });
    }
  });

  describe('the plan', () => {
    it('carries every parameter in full-resolution pixels of the upright image', () => {
      const plan = req(3, { region: 'pct:41.6,7.5,40,70', size: '90,', rotation: '!345', quality: 'gray', format: 'png' }, SPEC_IMAGE);
      expect(plan).to.deep.equal({
        version: 3,
        region: { x: 125, y: 15, w: 120, h: 140 },
        size: { w: 90, h: 105 },
        mirror: true,
        rotation: 345,
        quality: 'gray',
        format: 'png',
        // 3.0 §4.6 example: .../125,15,120,140/90,/!345/gray.jpg
        canonical: '125,15,120,140/90,105/!345/gray.png',
      });
    });
  });

  describe('canonical form', () => {
    const big = { width: 6000, height: 4000 };
    const limited = { maxWidth: 3000, maxHeight: 2000, maxArea: 6_000_000 };
    const cases: { v: ApiVersion; p: Partial<ImageRequestParams>; image?: ImageFacts; limits?: ImageLimits; canonical: string }[] = [
      { v: 3, p: {}, canonical: 'full/max/0/default.jpg' },
      { v: 3, p: { size: '1000,1000' }, canonical: 'full/max/0/default.jpg' },
      { v: 3, p: { size: '^1000,' }, canonical: 'full/max/0/default.jpg' },
      { v: 3, p: { size: '!5000,1000' }, canonical: 'full/max/0/default.jpg' },
      { v: 3, p: { size: '150,' }, image: SPEC_IMAGE, canonical: 'full/150,100/0/default.jpg' },
      { v: 3, p: { size: ',100' }, image: SPEC_IMAGE, canonical: 'full/150,100/0/default.jpg' },
      { v: 3, p: { size: 'pct:50' }, image: SPEC_IMAGE, canonical: 'full/150,100/0/default.jpg' },
      { v: 3, p: { size: '!225,100' }, image: SPEC_IMAGE, canonical: 'full/150,100/0/default.jpg' },
      { v: 3, p: { size: '225,100' }, image: SPEC_IMAGE, canonical: 'full/225,100/0/default.jpg' },
      { v: 3, p: { size: '^360,' }, image: SPEC_IMAGE, canonical: 'full/^360,240/0/default.jpg' },
      { v: 3, p: { size: '^360,150' }, image: SPEC_IMAGE, canonical: 'full/^360,150/0/default.jpg' },
      { v: 3, p: { size: '^max' }, canonical: 'full/^max/0/default.jpg' },
      { v: 3, p: { size: '^4000,4000' }, canonical: 'full/^max/0/default.jpg' },
      { v: 3, p: { size: 'max' }, image: big, limits: limited, canonical: 'full/max/0/default.jpg' },
      { v: 3, p: { size: '^max' }, image: big, limits: limited, canonical: 'full/max/0/default.jpg' },
      { v: 3, p: { size: '1500,1000' }, image: big, limits: limited, canonical: 'full/1500,1000/0/default.jpg' },
      { v: 3, p: { region: 'square', size: 'max' }, image: big, canonical: '1000,0,4000,4000/max/0/default.jpg' },
      { v: 3, p: { region: 'pct:50,50,50,50', size: '300,' }, image: big, canonical: '3000,2000,3000,2000/300,200/0/default.jpg' },
      { v: 3, p: { rotation: '!022.50', quality: 'color', format: 'png' }, canonical: 'full/max/!22.5/color.png' },
      { v: 2, p: {}, canonical: 'full/full/0/default.jpg' },
      { v: 2, p: { size: 'max' }, canonical: 'full/full/0/default.jpg' },
      { v: 2, p: { size: '1000,' }, canonical: 'full/full/0/default.jpg' },
      { v: 2, p: { size: 'max' }, image: big, limits: limited, canonical: 'full/3000,/0/default.jpg' },
      { v: 2, p: { size: '150,' }, image: SPEC_IMAGE, canonical: 'full/150,/0/default.jpg' },
      { v: 2, p: { size: ',100' }, image: SPEC_IMAGE, canonical: 'full/150,/0/default.jpg' },
      { v: 2, p: { size: '150,100' }, image: SPEC_IMAGE, canonical: 'full/150,/0/default.jpg' },
      { v: 2, p: { size: 'pct:50' }, image: SPEC_IMAGE, canonical: 'full/150,/0/default.jpg' },
      { v: 2, p: { size: '!225,100' }, image: SPEC_IMAGE, canonical: 'full/150,/0/default.jpg' },
      { v: 2, p: { size: '225,100' }, image: SPEC_IMAGE, canonical: 'full/225,100/0/default.jpg' },
      { v: 2, p: { size: '600,' }, image: SPEC_IMAGE, canonical: 'full/600,/0/default.jpg' },
      { v: 2, p: { size: '400,' }, image: big, canonical: 'full/400,/0/default.jpg' },
      { v: 2, p: { region: 'square' }, canonical: 'full/full/0/default.jpg' },
      { v: 2, p: { region: '125,15,200,200', size: 'full' }, image: SPEC_IMAGE, canonical: '125,15,175,185/full/0/default.jpg' },
      { v: 2, p: { rotation: '!0.50', quality: 'bitonal', format: 'gif' }, canonical: 'full/full/!0.5/bitonal.gif' },
    ];
    for (const c of cases) {
      it(`IIIF ${c.v}: ${JSON.stringify(c.p)} → ${c.canonical}`, () => {
        const image = c.image ?? VALIDATOR_IMAGE;
        const limits = c.limits ?? LIMITS;
        const plan = req(c.v, c.p, image, limits);
        expect(plan.canonical).to.equal(c.canonical);
        const again = reparse(plan, image, limits);
        expect(again).to.deep.equal(plan);
      });
    }

    it('is a fixpoint for a sweep of requests in both versions', () => {
      const images: ImageFacts[] = [{ width: 1, height: 1 }, { width: 513, height: 7 }, { width: 6000, height: 4000 }, { width: 333, height: 1001 }];
      const regions = ['full', 'square', '0,0,100,100', '10,3,1000,1000', 'pct:12.5,33.3,50,66.7', 'pct:0,0,1,1'];
      const sizes3 = ['max', '^max', '100,', ',100', 'pct:25', '^pct:150', '!200,200', '^!800,300', '^200,900', '^1,1'];
      const sizes2 = ['full', 'max', '100,', ',100', 'pct:25', 'pct:150', '!200,200', '800,300', '200,900', '1,1'];
      const rotations = ['0', '!90', '12.75', '!359.5'];
      let checked = 0;
      for (const image of images) {
        for (const region of regions) {
          for (const [version, sizes] of [[3, sizes3], [2, sizes2]] as [ApiVersion, string[]][]) {
            for (const sizeParam of sizes) {
              for (const rotation of rotations) {
                let plan: ImagePlan;
                try {
                  plan = req(version, { region, size: sizeParam, rotation }, image);
                } catch (err) {
                  if (err instanceof ImageApiError && err.status === 400) continue;
                  throw err;
                }
                expect(reparse(plan, image, LIMITS), `${version} ${region}/${sizeParam} on ${image.width}×${image.height}`).to.deep.equal(plan);
                checked++;
              }
            }
          }
        }
      }
      expect(checked).to.be.above(1500);
    });
  });
});
