/** OAI-PMH error codes (section 3.6 of the protocol). */
export type OaiErrorCode =
  | 'badArgument' | 'badResumptionToken' | 'badVerb' | 'cannotDisseminateFormat' | 'idDoesNotExist'
  | 'noRecordsMatch' | 'noMetadataFormats' | 'noSetHierarchy';

/** A protocol error: rendered as <error code> in an HTTP 200. */
export class OaiError extends Error {
  constructor(
    readonly code: OaiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'OaiError';
  }

  /** badVerb and badArgument echo no arguments in <request>. */
  get echoesArguments(): boolean {
    return this.code !== 'badVerb' && this.code !== 'badArgument';
  }
}

export const VERBS = ['Identify', 'ListMetadataFormats', 'ListSets', 'GetRecord', 'ListIdentifiers', 'ListRecords'] as const;
export type Verb = (typeof VERBS)[number];

const ARGS: Record<Verb, { required: string[]; optional: string[]; exclusive?: string }> = {
  Identify: { required: [], optional: [] },
  ListMetadataFormats: { required: [], optional: ['identifier'] },
  ListSets: { required: [], optional: [], exclusive: 'resumptionToken' },
  GetRecord: { required: ['identifier', 'metadataPrefix'], optional: [] },
  ListIdentifiers: { required: ['metadataPrefix'], optional: ['from', 'until', 'set'], exclusive: 'resumptionToken' },
  ListRecords: { required: ['metadataPrefix'], optional: ['from', 'until', 'set'], exclusive: 'resumptionToken' },
};

export interface OaiRequest {
  verb: Verb;
  args: Record<string, string>;
}

/**
 * Validate the arguments of a request (pairs in order, from the query string or the form body):
 * a missing, repeated or illegal verb is badVerb; repeated, unknown, missing or extra
 * arguments are badArgument; an exclusive argument (resumptionToken) must come alone.
 */
export function parseOaiRequest(pairs: [string, string][]): OaiRequest {
  const seen = new Map<string, string>();
  const repeated = new Set<string>();
  for (const [k, v] of pairs) {
    if (seen.has(k)) repeated.add(k);
    seen.set(k, v);
  }
  if (repeated.has('verb')) throw new OaiError('badVerb', 'The verb argument is repeated');
  const verb = seen.get('verb');
  if (verb === undefined) throw new OaiError('badVerb', 'The verb argument is missing');
  if (!(VERBS as readonly string[]).includes(verb)) throw new OaiError('badVerb', `"${verb}" is not an OAI-PMH verb`);
  const spec = ARGS[verb as Verb];
  if (repeated.size) throw new OaiError('badArgument', `Repeated argument: ${[...repeated].join(', ')}`);
  const args: Record<string, string> = {};
  for (const [k, v] of seen) if (k !== 'verb') args[k] = v;
  const known = new Set([...spec.required, ...spec.optional, ...(spec.exclusive ? [spec.exclusive] : [])]);
  const illegal = Object.keys(args).filter((k) => !known.has(k));
  if (illegal.length) throw new OaiError('badArgument', `Illegal argument for ${verb}: ${illegal.join(', ')}`);
  for (const [k, v] of Object.entries(args)) if (v === '') throw new OaiError('badArgument', `Argument ${k} is empty`);
  if (spec.exclusive && args[spec.exclusive] !== undefined) {
    const others = Object.keys(args).filter((k) => k !== spec.exclusive);
    if (others.length) throw new OaiError('badArgument', `${spec.exclusive} is an exclusive argument; remove ${others.join(', ')}`);
    return { verb: verb as Verb, args };
  }
  const missing = spec.required.filter((k) => args[k] === undefined);
  if (missing.length) throw new OaiError('badArgument', `Missing argument for ${verb}: ${missing.join(', ')}`);
  return { verb: verb as Verb, args };
}

/** A from/until bound: the instant and its granularity. */
export interface DateBound {
  at: number;
  granularity: 'day' | 'seconds';
}

/** Parse a UTCdatetime argument (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ). */
export function parseUtcDatetime(name: string, value: string): DateBound {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const sec = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/.exec(value);
  const m = day ?? sec;
  if (!m) throw new OaiError('badArgument', `${name} must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ, not "${value}"`);
  const [y, mo, d, h = '0', mi = '0', s = '0'] = m.slice(1).map((x) => x ?? '0');
  const at = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const back = new Date(at);
  if (
    back.getUTCFullYear() !== Number(y) || back.getUTCMonth() !== Number(mo) - 1 || back.getUTCDate() !== Number(d) ||
    back.getUTCHours() !== Number(h) || back.getUTCMinutes() !== Number(mi) || back.getUTCSeconds() !== Number(s)
  ) {
    throw new OaiError('badArgument', `${name} is not a valid date: "${value}"`);
  }
  return { at, granularity: day ? 'day' : 'seconds' };
}

/**
 * The datestamp range of a selective harvest, in ms: from inclusive; until inclusive at its
 * granularity (a day means the whole day, seconds the whole second).
 */
export function harvestRange(from: string | undefined, until: string | undefined): { from: number | null; untilExclusive: number | null } {
  const f = from !== undefined ? parseUtcDatetime('from', from) : null;
  const u = until !== undefined ? parseUtcDatetime('until', until) : null;
  if (f && u && f.granularity !== u.granularity) throw new OaiError('badArgument', 'from and until must have the same granularity');
  const untilExclusive = u ? u.at + (u.granularity === 'day' ? 86_400_000 : 1000) : null;
  if (f && u && f.at > u.at) throw new OaiError('badArgument', 'from is later than until');
  return { from: f?.at ?? null, untilExclusive };
}

/** UTCdatetime with seconds, never fractions. */
export const utc = (d: Date | number): string => new Date(Math.floor(new Date(d).getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
