import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { create } from 'xmlbuilder2';
import type { ColophonApp } from '../app';
import { AccessRightsProfile } from '../db/entities/access-rights-profile.entity';
import { Collection } from '../db/entities/collection.entity';
import { DigitalFile } from '../db/entities/digital-file.entity';
import { Representation } from '../db/entities/representation.entity';
import { Title, type DublinCore } from '../db/entities/title.entity';

interface DemoTitle {
  key: string;
  collections: string[];
  dc: DublinCore;
  pages: { label: string; hue: number; width: number; height: number }[];
}

// Project-authored sample records: invented works, described the way a library would.
const TITLES: DemoTitle[] = [
  {
    key: 'colophon-demo-1',
    collections: ['maps'],
    dc: {
      title: ['Survey of the Harbour and Approaches'],
      creator: ['Colophon Demonstration Office'],
      date: ['1887'],
      type: ['Image', 'Cartographic material'],
      format: ['image/jpeg'],
      subject: ['Harbours -- Maps', 'Coasts -- Surveys'],
      description: ['Generated demonstration image standing in for a hand-coloured survey sheet.'],
      language: ['eng'],
      rights: ['Public domain'],
    },
    pages: [{ label: 'Sheet 1', hue: 200, width: 2400, height: 1800 }],
  },
  {
    key: 'colophon-demo-2',
    collections: ['manuscripts'],
    dc: {
      title: ['Commonplace Book of an Unnamed Printer'],
      creator: ['Unknown'],
      date: ['1750-1775'],
      type: ['Text', 'Manuscript'],
      format: ['image/jpeg'],
      subject: ['Printing -- History -- 18th century', 'Commonplace books'],
      description: ['Generated demonstration pages standing in for a bound manuscript.'],
      language: ['eng', 'lat'],
      rights: ['In copyright - educational use permitted'],
    },
    pages: [
      { label: 'Front cover', hue: 25, width: 1600, height: 2200 },
      { label: 'f. 1r', hue: 40, width: 1600, height: 2200 },
      { label: 'f. 1v', hue: 45, width: 1600, height: 2200 },
    ],
  },
  {
    key: 'colophon-demo-3',
    collections: ['photographs'],
    dc: {
      title: ['Reading Room, Morning Light'],
      creator: ['Colophon Demonstration Office'],
      date: ['1932'],
      type: ['Image', 'Photograph'],
      format: ['image/jpeg'],
      subject: ['Libraries -- Interiors'],
      description: ['Generated demonstration image standing in for a gelatin silver print.'],
      language: ['zxx'],
      rights: ['Public domain'],
    },
    pages: [{ label: 'Print', hue: 0, width: 2000, height: 1500 }],
  },
  {
    key: 'colophon-demo-4',
    collections: ['manuscripts'],
    dc: {
      title: ['Letter Concerning a Delivery of Type'],
      creator: ['Colophon Demonstration Office'],
      date: ['1801-03-14'],
      type: ['Text', 'Correspondence'],
      format: ['image/jpeg'],
      description: ['Generated demonstration pages standing in for a two-page letter.'],
      language: ['eng'],
      rights: ['Public domain'],
    },
    pages: [
      { label: 'Page 1', hue: 50, width: 1400, height: 2000 },
      { label: 'Page 2', hue: 55, width: 1400, height: 2000 },
    ],
  },
];

const COLLECTIONS = [
  { code: 'demo', name: 'Demonstration collections', parent: null },
  { code: 'maps', name: 'Maps and plans', parent: 'demo' },
  { code: 'manuscripts', name: 'Manuscripts and letters', parent: 'demo' },
  { code: 'photographs', name: 'Photographs', parent: 'demo' },
];

/** A generated image: a gradient page with shapes (no fonts needed), as JPEG. */
async function page(hue: number, width: number, height: number, seq: number): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
    <stop offset="0" stop-color="hsl(${hue},45%,85%)"/><stop offset="1" stop-color="hsl(${hue},35%,55%)"/>
  </linearGradient></defs>
  <rect width="100%" height="100%" fill="url(#g)"/>
  <rect x="${width * 0.06}" y="${height * 0.06}" width="${width * 0.88}" height="${height * 0.88}" fill="none" stroke="hsl(${hue},40%,25%)" stroke-width="${Math.max(4, width / 200)}"/>
  ${Array.from({ length: 12 }, (_, i) => `<line x1="${width * 0.12}" x2="${width * 0.88}" y1="${height * (0.2 + i * 0.055)}" y2="${height * (0.2 + i * 0.055)}" stroke="hsl(${hue},30%,30%)" stroke-width="${Math.max(2, width / 400)}" stroke-dasharray="${(i * 37 + seq * 11) % 90 + 20} 14"/>`).join('')}
  <circle cx="${width * 0.75}" cy="${height * 0.15}" r="${Math.min(width, height) * 0.06}" fill="hsl(${(hue + 180) % 360},50%,45%)"/>
</svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
}

function oaiDc(dc: DublinCore): string {
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('http://www.openarchives.org/OAI/2.0/oai_dc/', 'oai_dc:dc', {
    'xmlns:dc': 'http://purl.org/dc/elements/1.1/',
    'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
    'xsi:schemaLocation': 'http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd',
  });
  for (const [el, values] of Object.entries(dc)) for (const v of values ?? []) root.ele('http://purl.org/dc/elements/1.1/', `dc:${el}`).txt(v);
  return root.end({ prettyPrint: true });
}

/**
 * Load the demo content (idempotent): a default access rights profile, a small collection tree
 * and a few titles with generated page images in the storage connector. Returns titles added.
 */
export async function loadDemoContent(app: ColophonApp, connectorId = 'local'): Promise<number> {
  const connector = app.core.storage.get(connectorId);
  if (!connector) throw new Error(`demo: storage connector "${connectorId}" is not available (is the storage-local plugin enabled?)`);
  const ds = app.ds;
  let profile = await ds.getRepository(AccessRightsProfile).findOneBy({ isDefault: true });
  let added = 0;
  const stored: string[] = [];
  try {
    await app.core.unitOfWork(async (uow) => {
      const m = uow.manager;
      if (!profile) {
        profile = await m.save(m.create(AccessRightsProfile, {
          name: 'Open access',
          rules: [{ effect: 'allow' }],
          copyrightStatement: 'Demonstration content, free to reuse.',
          rightsUri: 'http://creativecommons.org/publicdomain/mark/1.0/',
          deniedNote: null,
          isDefault: true,
        }));
        await uow.record('access-rights-profile', profile.id, 'create');
      }
      const byCode = new Map<string, Collection>();
      for (const c of COLLECTIONS) {
        let col = await m.findOneBy(Collection, { code: c.code });
        if (!col) {
          const parent = c.parent ? byCode.get(c.parent) : undefined;
          col = await m.save(m.create(Collection, {
            code: c.code, name: c.name, description: null, published: true,
            parentId: parent?.id ?? null, path: parent ? `${parent.path}:${c.code}` : c.code, position: 0,
          }));
          await uow.record('collection', col.id, 'create');
        }
        byCode.set(c.code, col);
      }
      for (const t of TITLES) {
        if (await m.findOneBy(Title, { sourceId: t.key })) continue;
        const title = await m.save(m.create(Title, {
          sourceFormat: 'dc',
          sourceRecord: oaiDc({ ...t.dc, identifier: [t.key] }),
          sourceId: t.key,
          dc: { ...t.dc, identifier: [t.key] },
          displayTitle: t.dc.title?.[0] ?? t.key,
          suppressed: false,
          datestamp: uow.now,
        }));
        await uow.record('title', title.id, 'create', { titleId: title.id });
        for (const code of t.collections) {
          const col = byCode.get(code);
          if (col) await m.query('INSERT INTO title_collection (title_id, collection_id) VALUES (?, ?)', [title.id, col.id]);
        }
        const rep = await m.save(m.create(Representation, {
          titleId: title.id, usageType: 'primary', label: 'Digitized copy', active: true, remote: false,
          remoteRepository: null, linkingParameters: null, originatingRecordId: null, deliveryUrl: null,
          thumbnailUrl: null, storageConnectorId: connector.id, accessRightsProfileId: profile?.id ?? null, publicNote: null,
        }));
        await uow.record('representation', rep.id, 'create', { titleId: title.id });
        for (const [i, p] of t.pages.entries()) {
          const bytes = await page(p.hue, p.width, p.height, i);
          const key = `demo/${t.key}/${String(i + 1).padStart(4, '0')}.jpg`;
          await connector.put(key, Readable.from(bytes), { contentType: 'image/jpeg', size: bytes.length });
          stored.push(key);
          const file = await m.save(m.create(DigitalFile, {
            representationId: rep.id, sequence: i + 1, label: p.label, storageKey: key, mimeType: 'image/jpeg',
            size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'),
            width: p.width, height: p.height, duration: null, pageCount: null, thumbnailKey: null,
          }));
          await uow.record('file', file.id, 'create', { titleId: title.id });
        }
        added++;
      }
    });
  } catch (err) {
    // The rows rolled back; take the stored objects with them.
    for (const key of stored) await connector.delete(key).catch(() => undefined);
    throw err;
  }
  return added;
}
