import { createHmac, timingSafeEqual } from 'node:crypto';
import { OaiError } from '../protocol/oai-request';

/** What a list request needs to go on: its arguments, the frozen upper bound and where it stopped. */
export interface ListState {
  v: 1;
  verb: 'ListRecords' | 'ListIdentifiers' | 'ListSets';
  /** metadataPrefix, set, from (ms, inclusive), until (ms, exclusive) */
  p?: string;
  s?: string | null;
  f?: number | null;
  u?: number | null;
  /** Upper bound frozen at the first page (ms, inclusive): later changes wait for the next harvest. */
  b: number;
  /** Last (datestamp ms, title id) returned, or for ListSets the last setSpec. */
  ld?: number;
  li?: string;
  /** Records returned before this page, and the complete list size. */
  c: number;
  n: number;
  /** Expiry (ms). */
  e: number;
}

const b64 = (b: Buffer): string => b.toString('base64url');

/**
 * Stateless, signed resumption tokens: the state travels in the token (base64url JSON) with an
 * HMAC-SHA256 of it, so any instance sharing the key can continue a harvest, and a token can
 * be asked for again (the same page comes back).
 */
export class ResumptionTokens {
  constructor(private readonly key: Buffer) {}

  issue(state: ListState): string {
    const body = b64(Buffer.from(JSON.stringify(state)));
    return `${body}.${b64(this.mac(body))}`;
  }

  read(token: string, verb: ListState['verb'], now = Date.now()): ListState {
    const [body, sig, ...rest] = token.split('.');
    if (!body || !sig || rest.length || !/^[A-Za-z0-9_-]+$/.test(body) || !/^[A-Za-z0-9_-]+$/.test(sig)) {
      throw new OaiError('badResumptionToken', 'The resumptionToken is malformed');
    }
    const given = Buffer.from(sig, 'base64url');
    const want = this.mac(body);
    if (given.length !== want.length || !timingSafeEqual(given, want)) throw new OaiError('badResumptionToken', 'The resumptionToken was not issued by this repository');
    let state: ListState;
    try {
      state = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as ListState;
    } catch {
      throw new OaiError('badResumptionToken', 'The resumptionToken is malformed');
    }
    if (state.v !== 1 || state.verb !== verb) throw new OaiError('badResumptionToken', `The resumptionToken belongs to ${String(state.verb)}, not ${verb}`);
    if (state.e < now) throw new OaiError('badResumptionToken', `The resumptionToken expired at ${new Date(state.e).toISOString()}`);
    return state;
  }

  private mac(body: string): Buffer {
    return createHmac('sha256', this.key).update(body).digest();
  }
}
