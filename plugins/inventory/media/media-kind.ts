/** How the media layer handles a MIME type. */
export type MediaKind = 'jpeg2000' | 'svg' | 'image' | 'pdf' | 'video' | 'audio' | 'other';

const JPEG2000 = new Set(['image/jp2', 'image/jpx', 'image/j2c', 'image/j2k', 'image/jpeg2000', 'image/x-jp2']);

/** The essence of a MIME type: lower case, without parameters ("Text/CSV; charset=x" → "text/csv"). */
export function essence(mimeType: string): string {
  return mimeType.split(';')[0].trim().toLowerCase();
}

/** Which code path handles a (sniffed) MIME type. */
export function mediaKind(mimeType: string): MediaKind {
  const m = essence(mimeType);
  if (JPEG2000.has(m)) return 'jpeg2000';
  if (m === 'image/svg+xml') return 'svg';
  if (m.startsWith('image/')) return 'image';
  if (m === 'application/pdf') return 'pdf';
  if (m.startsWith('video/') || m === 'application/ogg' || m === 'application/mp4') return 'video';
  if (m.startsWith('audio/')) return 'audio';
  return 'other';
}
