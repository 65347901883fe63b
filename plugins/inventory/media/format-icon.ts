import sharp from 'sharp';
import { MediaError } from './media-error';
import { essence } from './media-kind';

/** A small preview image of a file. */
export interface Thumbnail {
  data: Buffer;
  mimeType: 'image/jpeg' | 'image/png';
  width: number;
  height: number;
  /** What it shows: the image itself, a PDF page, a video frame, an audio waveform, or a format icon. */
  source: 'image' | 'pdf' | 'video' | 'audio' | 'icon';
}

export const DEFAULT_THUMBNAIL_SIZE = 300;
export const MAX_THUMBNAIL_SIZE = 4096;

/** Check a thumbnail size (longest side, px); a bad one is MediaError 'media-bad-option'. */
export function checkSize(size: number): number {
  if (!Number.isInteger(size) || size < 1 || size > MAX_THUMBNAIL_SIZE) {
    throw new MediaError('media-bad-option', `thumbnail size must be an integer from 1 to ${MAX_THUMBNAIL_SIZE}, not ${size}`);
  }
  return size;
}

// Short names people know formats by; anything else is derived from the subtype.
const LABELS: Record<string, string> = {
  'application/pdf': 'PDF',
  'application/zip': 'ZIP',
  'application/gzip': 'GZ',
  'application/x-tar': 'TAR',
  'application/x-7z-compressed': '7Z',
  'application/vnd.rar': 'RAR',
  'application/x-rar-compressed': 'RAR',
  'application/epub+zip': 'EPUB',
  'application/msword': 'DOC',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'DOCX',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'XLSX',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'PPTX',
  'application/vnd.oasis.opendocument.text': 'ODT',
  'application/octet-stream': 'BIN',
  'application/marc': 'MARC',
  'application/json': 'JSON',
  'application/ld+json': 'JSON',
  'application/xml': 'XML',
  'text/xml': 'XML',
  'text/plain': 'TXT',
  'text/csv': 'CSV',
  'text/tab-separated-values': 'TSV',
  'text/markdown': 'MD',
  'text/html': 'HTML',
  'application/xhtml+xml': 'HTML',
  'image/jpeg': 'JPG',
  'image/tiff': 'TIFF',
  'image/svg+xml': 'SVG',
  'audio/mpeg': 'MP3',
  'audio/mp4': 'M4A',
  'audio/x-m4a': 'M4A',
  'audio/wav': 'WAV',
  'audio/x-wav': 'WAV',
  'audio/vnd.wave': 'WAV',
  'audio/ogg': 'OGG',
  'audio/opus': 'OPUS',
  'video/ogg': 'OGV',
  'video/quicktime': 'MOV',
  'video/x-matroska': 'MKV',
  'video/x-msvideo': 'AVI',
};

/** The short name shown on a format icon: "PDF", "MP3", "ZIP", ... (at most 5 characters). */
export function formatLabel(mimeType: string): string {
  const m = essence(mimeType);
  if (LABELS[m]) return LABELS[m];
  const subtype = (m.split('/')[1] ?? '').replace(/\+.*$/, '').replace(/^(x-|vnd\.)/, '');
  const word = (subtype.split(/[.-]/).pop() ?? '').toUpperCase().replace(/[^A-Z0-9]/g, '');
  return word.slice(0, 5) || 'FILE';
}

function familyColour(mimeType: string): string {
  const m = essence(mimeType);
  if (m === 'application/pdf') return '#b3261e';
  if (/zip|tar|gzip|compressed|rar/.test(m)) return '#8a6d1f';
  if (m.startsWith('image/')) return '#2e7d4f';
  if (m.startsWith('audio/')) return '#7b3fa0';
  if (m.startsWith('video/')) return '#c25a10';
  if (m.startsWith('text/') || /json|xml|marc/.test(m)) return '#1f5f99';
  return '#5b6470';
}

/*
 * A stroke font on a 4×6 grid (y down), one polyline per ';'-separated run. The label is drawn as
 * SVG paths rather than <text> so icons look the same with or without fonts on the machine.
 */
const O = '1,0 3,0 4,1 4,5 3,6 1,6 0,5 0,1 1,0';
const P = '0,6 0,0 3,0 4,1 4,2 3,3 0,3';
const GLYPHS: Record<string, string> = {
  A: '0,6 0,2 2,0 4,2 4,6; 0,3.5 4,3.5',
  B: '0,3 0,0 3,0 4,1 4,2 3,3 0,3 0,6 3,6 4,5 4,4 3,3',
  C: '4,1 3,0 1,0 0,1 0,5 1,6 3,6 4,5',
  D: '0,0 0,6 2.5,6 4,4.5 4,1.5 2.5,0 0,0',
  E: '4,0 0,0 0,6 4,6; 0,3 3,3',
  F: '4,0 0,0 0,6; 0,3 3,3',
  G: '4,1 3,0 1,0 0,1 0,5 1,6 3,6 4,5 4,3 2,3',
  H: '0,0 0,6; 4,0 4,6; 0,3 4,3',
  I: '1,0 3,0; 2,0 2,6; 1,6 3,6',
  J: '4,0 4,5 3,6 1,6 0,5',
  K: '0,0 0,6; 4,0 0,4; 1.3,2.7 4,6',
  L: '0,0 0,6 4,6',
  M: '0,6 0,0 2,3 4,0 4,6',
  N: '0,6 0,0 4,6 4,0',
  O,
  P,
  Q: `${O}; 2.5,4.5 4,6`,
  R: `${P}; 2,3 4,6`,
  S: '4,1 3,0 1,0 0,1 0,2 1,3 3,3 4,4 4,5 3,6 1,6 0,5',
  T: '0,0 4,0; 2,0 2,6',
  U: '0,0 0,5 1,6 3,6 4,5 4,0',
  V: '0,0 2,6 4,0',
  W: '0,0 1,6 2,3 3,6 4,0',
  X: '0,0 4,6; 4,0 0,6',
  Y: '0,0 2,3 4,0; 2,3 2,6',
  Z: '0,0 4,0 0,6 4,6',
  '0': `${O}; 3.5,0.5 0.5,5.5`,
  '1': '1,1 2,0 2,6; 1,6 3,6',
  '2': '0,1 1,0 3,0 4,1 4,2 0,6 4,6',
  '3': '0,1 1,0 3,0 4,1 4,2 3,3 1.5,3; 3,3 4,4 4,5 3,6 1,6 0,5',
  '4': '3,6 3,0 0,4 4,4',
  '5': '4,0 0,0 0,3 3,3 4,4 4,5 3,6 0,6',
  '6': '4,1 3,0 1,0 0,1 0,5 1,6 3,6 4,5 4,4 3,3 0,3',
  '7': '0,0 4,0 1.5,6',
  '8': '1,0 3,0 4,1 4,2 3,3 1,3 0,2 0,1 1,0; 1,3 0,4 0,5 1,6 3,6 4,5 4,4 3,3',
  '9': '4,3 1,3 0,2 0,1 1,0 3,0 4,1 4,5 3,6 1,6 0,5',
};
const ADVANCE = 6; // glyph width 4 + gap 2

function labelPath(label: string): string {
  return [...label]
    .map((ch, i) =>
      (GLYPHS[ch] ?? '')
        .split(';')
        .filter((run) => run.trim())
        .map((run) => {
          const pts = run
            .trim()
            .split(/\s+/)
            .map((p) => p.split(',').map(Number))
            .map(([x, y]) => `${x + i * ADVANCE},${y}`);
          return `M${pts.join(' L')}`;
        })
        .join(' '),
    )
    .join(' ');
}

/** The icon as SVG: a page with a folded corner and a coloured band bearing the format's short name. */
export function formatIconSvg(mimeType: string, size: number): string {
  const label = formatLabel(mimeType);
  const colour = familyColour(mimeType);
  const textWidth = label.length * ADVANCE - 2;
  const scale = Math.min(54 / textWidth, 14 / 6);
  const x = 50 - (textWidth * scale) / 2;
  const y = 62 - (6 * scale) / 2;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 100 100">
  <rect width="100" height="100" fill="#f3f1ec"/>
  <path d="M26 10 H62 L76 24 V90 H26 Z" fill="#ffffff" stroke="#b9b2a6" stroke-width="1.5" stroke-linejoin="round"/>
  <path d="M62 10 V24 H76 Z" fill="#ddd6ca" stroke="#b9b2a6" stroke-width="1.5" stroke-linejoin="round"/>
  <rect x="16" y="50" width="68" height="24" rx="3" fill="${colour}"/>
  <g transform="translate(${x.toFixed(2)} ${y.toFixed(2)}) scale(${scale.toFixed(4)})" fill="none" stroke="#ffffff"
     stroke-width="0.9" stroke-linecap="round" stroke-linejoin="round"><path d="${labelPath(label)}"/></g>
</svg>`;
}

/** A square PNG icon with the format's short name ("PDF", "MP3", "ZIP"), for files without a picture. */
export async function formatIcon(mimeType: string, size = DEFAULT_THUMBNAIL_SIZE): Promise<Thumbnail> {
  checkSize(size);
  const { data, info } = await sharp(Buffer.from(formatIconSvg(mimeType, size)))
    .png()
    .toBuffer({ resolveWithObject: true });
  return { data, mimeType: 'image/png', width: info.width, height: info.height, source: 'icon' };
}
