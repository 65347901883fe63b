import { ColophonError, type ErrorSpec } from '../../../core/errors';

/** Why media processing failed; each fault has a stable HTTP status for the staff API. */
export const MEDIA_FAULTS = {
  /** The content is of a known type but its decoder rejects it (truncated, damaged). */
  'media-corrupt': { status: 422, title: 'Corrupt or unreadable media file' },
  /** More pixels than `maxInputPixels` (a decompression bomb, or just too big to process). */
  'media-too-large': { status: 413, title: 'Image too large to process' },
  /** An external tool ran longer than `timeoutMs`. */
  'media-timeout': { status: 503, title: 'Media processing timed out', level: 'warn' },
  /** An external tool failed in a way that says nothing about the file (crash, runaway output). */
  'media-tool-failed': { status: 500, title: 'A media tool failed', level: 'error' },
  /** A caller passed an unusable option (e.g. a thumbnail size of 0). */
  'media-bad-option': { status: 400, title: 'Invalid media processing option' },
} as const satisfies Record<string, ErrorSpec>;

export type MediaFault = keyof typeof MEDIA_FAULTS;

/**
 * An error of the media layer. `fault` is the short reason ('media-corrupt', ...); as a
 * ColophonError it also carries the code `inventory.<fault>` and an HTTP status.
 */
export class MediaError extends ColophonError {
  readonly fault: MediaFault;

  constructor(fault: MediaFault, detail: string, cause?: unknown) {
    super(`inventory.${fault}`, MEDIA_FAULTS[fault], detail, cause === undefined ? {} : { cause });
    this.name = 'MediaError';
    this.fault = fault;
  }
}
