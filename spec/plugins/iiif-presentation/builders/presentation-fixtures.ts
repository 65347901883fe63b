/**
 * ManifestSources as the plugin's loader will fill them, following the URL conventions
 * (iiifUrls): a paged book with sections, a restricted mixed representation with probe
 * services, audio, video, PDFs with and without page images, remote ones, a title in three
 * collections and titles with odd Dublin Core. Plain data: the builders never read files.
 */
import type { DublinCore } from '../../../../core/db/entities/title.entity';
import {
  iiifUrls,
  type FileSource,
  type ManifestSource,
  type PageImageSource,
} from '../../../../plugins/iiif-presentation/builders';

export const BASE = 'http://colophon.test';
export const urls = iiifUrls(BASE);
export const REPOSITORY_ID = 'colophon.test';

/** OAI-PMH formats the OAI plugin disseminates, with their namespaces. */
export const OAI_FORMATS = [
  { prefix: 'oai_dc', profile: 'http://www.openarchives.org/OAI/2.0/oai_dc/', label: 'Dublin Core (OAI-PMH)' },
  { prefix: 'marc21', profile: 'http://www.loc.gov/MARC21/slim', label: 'MARC 21 XML (OAI-PMH)' },
  { prefix: 'mods', profile: 'http://www.loc.gov/mods/v3', label: 'MODS (OAI-PMH)' },
];

/** Authorization Flow 2.0 services of a restricted file, as the auth code would make them. */
export function probeService(fileId: string): Record<string, unknown> {
  return {
    id: urls.authProbe(fileId),
    type: 'AuthProbeService2',
    service: [{
      id: urls.authAccess(),
      type: 'AuthAccessService2',
      profile: 'active',
      label: { en: ['Sign in to Colophon'] },
      heading: { en: ['Restricted material'] },
      note: { en: ['Sign in with your library account to see this item.'] },
      service: [
        { id: urls.authToken(), type: 'AuthAccessTokenService2' },
        { id: urls.authLogout(), type: 'AuthLogoutService2', label: { en: ['Sign out'] } },
      ],
    }],
  };
}

interface FileOpts {
  label?: string;
  section?: string | null;
  restricted?: boolean;
  width?: number | null;
  height?: number | null;
  duration?: number | null;
  pageCount?: number | null;
  mimeType?: string;
  pageImages?: PageImageSource[];
}

/** A file with the URLs the loader gives each kind. */
export function file(id: string, sequence: number, kind: FileSource['kind'], o: FileOpts = {}): FileSource {
  const restricted = o.restricted ?? false;
  const mime = o.mimeType ?? { image: 'image/jp2', pdf: 'application/pdf', audio: 'audio/mpeg', video: 'video/mp4', other: 'application/zip' }[kind];
  return {
    id,
    sequence,
    kind,
    mimeType: mime,
    label: o.label ?? '',
    section: o.section ?? null,
    width: o.width === undefined ? (kind === 'image' ? 2000 + sequence : kind === 'video' ? 320 : null) : o.width,
    height: o.height === undefined ? (kind === 'image' ? 3000 : kind === 'video' ? 240 : null) : o.height,
    duration: o.duration === undefined ? (kind === 'audio' ? 12.4 : kind === 'video' ? 4.97 : null) : o.duration,
    pageCount: o.pageCount ?? (kind === 'pdf' ? 3 : null),
    imageService: kind === 'image' ? { v3: urls.imageService(3, id), v2: urls.imageService(2, id) } : null,
    contentUrl: urls.content(id),
    thumbnail: { url: urls.fileThumbnail(id), format: 'image/jpeg' },
    restricted,
    probeService: restricted ? probeService(id) : null,
    pageImages: o.pageImages ?? null,
  };
}

/** The common part of every source of one title/representation. */
export function source(titleId: string, repId: string, dc: DublinCore, files: FileSource[], extra: Partial<ManifestSource> = {}): ManifestSource {
  return {
    ids: { manifest3: urls.manifest(3, repId), manifest2: urls.manifest(2, repId) },
    title: { id: titleId, dc },
    representation: { id: repId, label: '', usageType: 'primary', remote: false, remoteManifestUrl: null, deliveryUrl: null, publicNote: null },
    files,
    rights: { uri: 'https://creativecommons.org/publicdomain/mark/1.0/', statement: 'Staatsbibliothek Colophon, public domain.' },
    provider: {
      id: 'https://ror.example.org/0colophon',
      label: { en: ['Colophon State Library'], de: ['Staatsbibliothek Colophon'] },
      homepage: 'https://library.example.org/',
      logo: { url: `${BASE}/static/logo.png`, format: 'image/png', width: 120, height: 40 },
    },
    viewerUrl: urls.viewer(repId),
    landingPageUrl: urls.landingPage(titleId),
    seeAlso: OAI_FORMATS.map((f) => ({ url: urls.oaiGetRecord(f.prefix, REPOSITORY_ID, titleId), format: 'text/xml', profile: f.profile, label: f.label })),
    partOf: [{ id3: urls.titleCollection(3, titleId), id2: urls.titleCollection(2, titleId), label: dc.title?.[0] ?? 'Untitled' }],
    ...extra,
  };
}

const BOOK_DC: DublinCore = {
  title: ['Die Gartenlaube : illustrirtes Familienblatt', 'Gartenlaube'],
  creator: ['Keil, Ernst'],
  subject: ['Familienzeitschrift', 'Illustrierte Zeitschrift'],
  description: ['Jahrgang 1905, Heft 1–3, mit Holzstichen.'],
  publisher: ['Leipzig : Keil'],
  date: ['[1905?]'],
  type: ['Text'],
  format: ['image/jp2'],
  identifier: ['urn:nbn:de:colophon-1905-1'],
  language: ['ger'],
};

/** A book of six pages: two sections, a loose page between, then a last section. */
export function bookSource(): ManifestSource {
  const files = [
    file('f-book-1', 1, 'image', { label: 'Cover', section: 'Front matter' }),
    file('f-book-2', 2, 'image', { label: 'Title page', section: 'Front matter' }),
    file('f-book-3', 3, 'image', { label: 'Plate' }),
    file('f-book-4', 4, 'image', { label: 'p. 1', section: 'Heft 1' }),
    file('f-book-5', 5, 'image', { label: 'p. 2', section: 'Heft 1' }),
    file('f-book-6', 6, 'image', { label: '', section: 'Heft 2' }),
  ];
  return source('t-book', 'r-book', BOOK_DC, files, { representation: { id: 'r-book', label: 'Scans, 400 dpi', usageType: 'primary', remote: false, publicNote: 'Digitised 2024.' } });
}

/** Restricted images, a restricted PDF, a restricted audio file and a restricted ZIP. */
export function restrictedSource(): ManifestSource {
  const files = [
    file('f-res-1', 1, 'image', { restricted: true, label: 'Letter, recto' }),
    file('f-res-2', 2, 'image', { restricted: true, label: 'Letter, verso' }),
    file('f-res-3', 3, 'pdf', { restricted: true, label: 'Transcription', pageCount: 2 }),
    file('f-res-4', 4, 'audio', { restricted: true, label: 'Reading' }),
    file('f-res-5', 5, 'other', { restricted: true, label: 'Master files' }),
  ];
  return source('t-res', 'r-res', { title: ['Brief an die Eltern'], date: ['1916-07-01'], language: ['ger'], type: ['Text'] }, files, {
    rights: { uri: 'http://rightsstatements.org/vocab/InC/1.0/', statement: '© Familie Müller. Only for private study.' },
  });
}

export function audioSource(): ManifestSource {
  return source('t-audio', 'r-audio', { title: ['The bear (field recording)'], type: ['Sound'], date: ['2019'], language: ['eng'] }, [
    file('f-audio-1', 1, 'audio', { label: 'Side A', duration: 12.4 }),
    file('f-audio-2', 2, 'audio', { label: 'Side B', duration: 7.5, mimeType: 'audio/ogg' }),
  ]);
}

export function videoSource(): ManifestSource {
  return source('t-video', 'r-video', { title: ['Rabbit'], type: ['MovingImage'], date: ['2011-05'] }, [
    file('f-video-1', 1, 'video', { label: 'Rabbit, 320p', width: 320, height: 176, duration: 3.6 }),
  ]);
}

/** A PDF alone; with `pages`, its rendered page images. */
export function pdfSource(pages: boolean): ManifestSource {
  const pageImages: PageImageSource[] = pages
    ? [1, 2, 3].map((p) => ({ page: p, width: 1240, height: 1754, imageService: { v3: urls.imageService(3, `f-pdf-1~p${p}`), v2: urls.imageService(2, `f-pdf-1~p${p}`) } }))
    : [];
  return source(`t-pdf-${pages}`, `r-pdf-${pages}`, { title: ['Bunreacht na hÉireann'], language: ['gle', 'eng'], date: ['1937'] }, [
    file('f-pdf-1', 1, 'pdf', { label: 'Constitution of Ireland', pageCount: 3, pageImages }),
  ]);
}

/** A remote representation, with or without a manifest at the remote repository. */
export function remoteSource(withManifest: boolean): ManifestSource {
  return source('t-remote', `r-remote-${withManifest}`, { title: ['Atlas of the north'] }, [], {
    representation: {
      id: `r-remote-${withManifest}`, label: 'At the partner library', usageType: 'derivative', remote: true,
      remoteManifestUrl: withManifest ? 'https://partner.example.net/iiif/atlas/manifest.json' : null,
      deliveryUrl: 'https://partner.example.net/view/atlas',
    },
    thumbnail: { url: 'https://partner.example.net/thumbs/atlas.jpg', format: 'image/jpeg' },
  });
}

/** A title in its own collection and in three published collections. */
export function threeCollectionsSource(): ManifestSource {
  const s = source('t-three', 'r-three', { title: ['Postcard, 1910'], type: ['StillImage'], date: ['1910'] }, [
    file('f-three-1', 1, 'image', { label: 'Front', width: 1200, height: 800 }),
    file('f-three-2', 2, 'image', { label: 'Back', width: 1200, height: 800 }),
  ]);
  s.partOf.push(
    ...['postcards', 'idaho', 'c1910'].map((c) => ({ id3: urls.collection(3, c), id2: urls.collection(2, c), label: { en: [`Collection ${c}`] } })),
  );
  return s;
}

/** No title, many languages, non-Latin scripts, text that looks like HTML, odd dates and rights. */
export function oddSource(): ManifestSource {
  return source('t-odd', 'r-odd', {
    creator: ['夏目, 漱石', 'Natsume, Sōseki'],
    description: ['<not html>', 'Текст на русском языке.', 'نص عربي'],
    subject: ['Japanese fiction'],
    language: ['und', 'jpn', 'rus', 'ara', 'mul'],
    date: ['Meiji 38', 'c1905-1906'],
    identifier: ['  '],
    coverage: [''],
  }, [file('f-odd-1', 1, 'image', { label: '表紙' })], {
    representation: { id: 'r-odd', label: '', usageType: 'derivative', remote: false },
    rights: { uri: 'https://example.org/our-own-terms', statement: null },
  });
}

/** Every rich source that has a local manifest, by name. */
export function localSources(): [string, ManifestSource][] {
  return [
    ['book with sections', bookSource()],
    ['restricted mixed', restrictedSource()],
    ['audio', audioSource()],
    ['video', videoSource()],
    ['PDF with page images', pdfSource(true)],
    ['PDF without page images', pdfSource(false)],
    ['title in three collections', threeCollectionsSource()],
    ['odd Dublin Core', oddSource()],
  ];
}

/** Every string anywhere in a JSON value (for URL checks). */
export function strings(x: unknown, out: string[] = []): string[] {
  if (typeof x === 'string') out.push(x);
  else if (Array.isArray(x)) for (const v of x) strings(v, out);
  else if (x && typeof x === 'object') for (const v of Object.values(x)) strings(v, out);
  return out;
}
