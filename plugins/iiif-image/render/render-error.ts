import { ImageApiError } from '../protocol/types';

/** Why pyramid building or rendering failed; each reason has the HTTP status an image request answers with. */
export const RENDER_FAULTS = {
  /** More pixels than maxInputPixels would have to be decoded (or a decompression bomb). */
  'too-large': 413,
  /** The stored file is damaged or of a type no decoder here reads. */
  corrupt: 500,
  /** A decoder (sharp/libvips or opj_decompress) failed or is missing. */
  'decoder-failed': 500,
  /** A file of a type (SVG, PDF, ...) this renderer does not handle. */
  unsupported: 500,
  /** Decoding ran past its time budget. */
  timeout: 503,
} as const satisfies Record<string, ImageApiError['status']>;

export type RenderFault = keyof typeof RENDER_FAULTS;

/**
 * An error of the renderer: an ImageApiError (so the IIIF routes answer with its status) that
 * also says why (`fault`) and keeps what the decoder threw as `cause`.
 */
export class RenderError extends ImageApiError {
  readonly fault: RenderFault;

  constructor(fault: RenderFault, message: string, cause?: unknown) {
    super(RENDER_FAULTS[fault], message);
    this.name = 'RenderError';
    this.fault = fault;
    if (cause !== undefined) this.cause = cause;
  }
}

/** A RenderError 'too-large' (413) for width×height pixels over `limit`, decided before anything is decoded. */
export function tooLarge(what: string, width: number, height: number, limit: number): RenderError {
  return new RenderError('too-large', `${what}: ${width}x${height} is more than the ${limit} pixels this server decodes`);
}

/** Translate what sharp/libvips threw into a RenderError (pixel limit → 413, timeout → 503, else 500). */
export function fromSharpError(what: string, err: unknown, limit?: number): unknown {
  if (err instanceof ImageApiError || !(err instanceof Error)) return err;
  const message = err.message;
  if (/pixel limit/i.test(message)) {
    return new RenderError('too-large', `${what}: more than ${limit ?? 'the allowed'} pixels (${message})`, err);
  }
  if (/^timeout: \d+% complete/.test(message)) return new RenderError('timeout', `${what}: decoding took too long`, err);
  if (/unsupported image format|corrupt|premature end|invalid|bad |not a /i.test(message)) {
    return new RenderError('corrupt', `${what}: ${message}`, err);
  }
  return new RenderError('decoder-failed', `${what}: ${message}`, err);
}
