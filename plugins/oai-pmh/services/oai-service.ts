import { randomBytes } from 'node:crypto';
import { Collection } from '../../../core/db/entities/collection.entity';
import { sqlTime } from '../../../core/db/data-source';
import { nextDatestamp, transaction } from '../../../core/db/unit-of-work';
import type { CoreServices } from '../../../core/plugin/types';
import type { OaiConfig } from '../config';
import { OaiSetting } from '../entities/oai-item.entity';
import { harvestRange, OaiError, utc, type OaiRequest } from '../protocol/oai-request';
import { esc } from '../protocol/oai-xml';
import { ResumptionTokens, type ListState } from './resumption-tokens';

interface ItemRow {
  id: string;
  ds: Date | string;
  deleted: number | boolean;
  sets: string;
  xml?: string | null;
  hasRecord?: string | null;
}

/** A time read back from a raw query: mysql2 gives a Date, SQLite TypeORM's UTC text. */
function dbTime(v: Date | string): number {
  return v instanceof Date ? v.getTime() : Date.parse(`${v.replace(' ', 'T')}Z`);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The six verbs over the stored items: each page is one indexed keyset query and string assembly. */
export class OaiService {
  private tokens: ResumptionTokens | null = null;

  constructor(
    private readonly core: CoreServices,
    private readonly config: OaiConfig,
    readonly repositoryIdentifier: string,
  ) {}

  get baseUrl(): string {
    return this.core.url(this.config.path);
  }

  /** The signing key: secrets.signingKey when set, else a random key kept in the database (shared by instances). */
  async init(): Promise<void> {
    const configured = this.core.config.secrets.signingKey;
    if (configured) {
      this.tokens = new ResumptionTokens(Buffer.from(`oai-pmh:${configured}`));
      return;
    }
    const repo = this.core.ds.getRepository(OaiSetting);
    let row = await repo.findOneBy({ name: 'token-key' });
    if (!row) {
      await repo.createQueryBuilder().insert().values({ name: 'token-key', value: randomBytes(32).toString('base64') }).orIgnore().execute();
      row = await repo.findOneByOrFail({ name: 'token-key' });
    }
    this.tokens = new ResumptionTokens(Buffer.from(row.value, 'base64'));
  }

  private get signer(): ResumptionTokens {
    if (!this.tokens) throw new Error('oai-pmh: init() has not run');
    return this.tokens;
  }

  async handle(req: OaiRequest): Promise<string> {
    switch (req.verb) {
      case 'Identify': return this.identify();
      case 'ListMetadataFormats': return this.listMetadataFormats(req.args.identifier);
      case 'ListSets': return this.listSets(req.args.resumptionToken);
      case 'GetRecord': return this.getRecord(req.args.identifier ?? '', req.args.metadataPrefix ?? '');
      case 'ListIdentifiers':
      case 'ListRecords': return this.list(req.verb, req.args);
    }
  }

  private async identify(): Promise<string> {
    const [row] = (await this.core.ds.query('SELECT MIN(datestamp) AS earliest FROM oai_item')) as { earliest: Date | string | null }[];
    const earliest = row?.earliest ? utc(dbTime(row.earliest)) : utc(Date.now());
    const repo = this.core.config.repository;
    const admin = repo.adminEmail ?? `admin@${this.repositoryIdentifier}`;
    return (
      '<Identify>\n' +
      `<repositoryName>${esc(repo.name)}</repositoryName>\n` +
      `<baseURL>${esc(this.baseUrl)}</baseURL>\n` +
      '<protocolVersion>2.0</protocolVersion>\n' +
      `<adminEmail>${esc(admin)}</adminEmail>\n` +
      `<earliestDatestamp>${earliest}</earliestDatestamp>\n` +
      '<deletedRecord>persistent</deletedRecord>\n' +
      '<granularity>YYYY-MM-DDThh:mm:ssZ</granularity>\n' +
      '<compression>gzip</compression>\n<compression>deflate</compression>\n' +
      '<description>\n' +
      '<oai-identifier xmlns="http://www.openarchives.org/OAI/2.0/oai-identifier" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ' +
      'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai-identifier http://www.openarchives.org/OAI/2.0/oai-identifier.xsd">\n' +
      '<scheme>oai</scheme>\n' +
      `<repositoryIdentifier>${esc(this.repositoryIdentifier)}</repositoryIdentifier>\n` +
      '<delimiter>:</delimiter>\n' +
      `<sampleIdentifier>oai:${esc(this.repositoryIdentifier)}:0d5e1b2c-6a40-4b8e-9f3a-1c2d3e4f5a6b</sampleIdentifier>\n` +
      '</oai-identifier>\n</description>\n' +
      '</Identify>\n'
    );
  }

  /** The title id of an oai-identifier of this repository, or idDoesNotExist. */
  private titleIdOf(identifier: string): string {
    const prefix = `oai:${this.repositoryIdentifier}:`;
    const id = identifier.startsWith(prefix) ? identifier.slice(prefix.length) : '';
    if (!UUID.test(id)) throw new OaiError('idDoesNotExist', `"${identifier}" is not an identifier of this repository`);
    return id;
  }

  private async listMetadataFormats(identifier: string | undefined): Promise<string> {
    let formats = this.core.formats.all();
    if (identifier !== undefined) {
      const id = this.titleIdOf(identifier);
      const [item] = (await this.core.ds.query('SELECT deleted FROM oai_item WHERE title_id = ?', [id])) as { deleted: number }[];
      if (!item) throw new OaiError('idDoesNotExist', `No item ${identifier}`);
      if (!Number(item.deleted)) {
        const have = new Set(((await this.core.ds.query('SELECT prefix FROM oai_record WHERE title_id = ?', [id])) as { prefix: string }[]).map((r) => r.prefix));
        formats = formats.filter((f) => have.has(f.prefix));
      }
    }
    if (!formats.length) throw new OaiError('noMetadataFormats', 'No metadata formats are available for this item');
    return (
      '<ListMetadataFormats>\n' +
      formats
        .sort((a, b) => a.prefix.localeCompare(b.prefix))
        .map((f) => `<metadataFormat><metadataPrefix>${esc(f.prefix)}</metadataPrefix><schema>${esc(f.schema)}</schema><metadataNamespace>${esc(f.namespace)}</metadataNamespace></metadataFormat>\n`)
        .join('') +
      '</ListMetadataFormats>\n'
    );
  }

  /** Every set: published collections (setSpec = path) and the configured publishing sets. */
  private async allSets(): Promise<{ spec: string; name: string; description: string | null }[]> {
    const cols = await this.core.ds.getRepository(Collection).find({ where: { published: true }, order: { path: 'ASC' } });
    const published = new Set(cols.map((c) => c.path));
    const sets = cols
      // A sub-collection of an unpublished collection is no set: its spec would name a hidden parent.
      .filter((c) => c.path.split(':').every((_, i, a) => published.has(a.slice(0, i + 1).join(':'))))
      // A configured set of the same spec takes its place (the plugin warns at start).
      .filter((c) => !(c.path in this.config.sets))
      .map((c) => ({ spec: c.path, name: c.name, description: c.description }));
    for (const [spec, def] of Object.entries(this.config.sets)) sets.push({ spec, name: def.name, description: def.description ?? null });
    return sets.sort((a, b) => (a.spec < b.spec ? -1 : a.spec > b.spec ? 1 : 0));
  }

  private async listSets(token: string | undefined): Promise<string> {
    const sets = await this.allSets();
    if (!sets.length) throw new OaiError('noSetHierarchy', 'This repository has no sets');
    const state = token ? this.signer.read(token, 'ListSets') : null;
    const start = state?.li ? sets.findIndex((s) => s.spec > (state.li ?? '')) : 0;
    const page = start < 0 ? [] : sets.slice(start, start + this.config.pageSize);
    const more = start >= 0 && start + page.length < sets.length;
    const cursor = state?.c ?? 0;
    const last = page[page.length - 1];
    const body = page
      .map((s) =>
        `<set><setSpec>${esc(s.spec)}</setSpec><setName>${esc(s.name)}</setName>` +
        (s.description
          ? '<setDescription><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ' +
            'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd">' +
            `<dc:description>${esc(s.description)}</dc:description></oai_dc:dc></setDescription>`
          : '') +
        '</set>\n',
      )
      .join('');
    const resume = state || more
      ? this.tokenElement(more && last ? { v: 1, verb: 'ListSets', b: 0, li: last.spec, c: cursor + page.length, n: sets.length, e: this.expiry() } : null, cursor, sets.length)
      : '';
    return `<ListSets>\n${body}${resume}</ListSets>\n`;
  }

  private async getRecord(identifier: string, prefix: string): Promise<string> {
    const format = this.core.formats.get(prefix);
    const id = this.titleIdOf(identifier);
    const [row] = (await this.core.ds.query(
      'SELECT i.title_id AS id, i.datestamp AS ds, i.deleted AS deleted, i.set_specs AS sets, r.xml AS xml FROM oai_item i LEFT JOIN oai_record r ON r.title_id = i.title_id AND r.prefix = ? WHERE i.title_id = ?',
      [prefix, id],
    )) as ItemRow[];
    if (!row) throw new OaiError('idDoesNotExist', `No item ${identifier}`);
    if (!format) throw new OaiError('cannotDisseminateFormat', `Unknown metadataPrefix "${prefix}"`);
    if (!Number(row.deleted) && !row.xml) throw new OaiError('cannotDisseminateFormat', `${identifier} is not available as ${prefix}`);
    return `<GetRecord>\n${this.record(row, true)}</GetRecord>\n`;
  }

  private header(row: ItemRow): string {
    const deleted = Number(row.deleted) === 1 || row.deleted === true;
    const sets = (JSON.parse(row.sets) as string[]).map((s) => `<setSpec>${esc(s)}</setSpec>`).join('');
    return `<header${deleted ? ' status="deleted"' : ''}><identifier>oai:${esc(this.repositoryIdentifier)}:${row.id}</identifier><datestamp>${utc(dbTime(row.ds))}</datestamp>${sets}</header>`;
  }

  private record(row: ItemRow, withMetadata: boolean): string {
    const deleted = Number(row.deleted) === 1 || row.deleted === true;
    return `<record>${this.header(row)}${!deleted && withMetadata && row.xml ? `<metadata>${row.xml}</metadata>` : ''}</record>\n`;
  }

  private expiry(): number {
    return Date.now() + this.config.tokenTtlHours * 3_600_000;
  }

  private tokenElement(next: ListState | null, cursor: number, total: number): string {
    const attrs = `completeListSize="${total}" cursor="${cursor}"`;
    if (!next) return `<resumptionToken ${attrs}/>\n`;
    return `<resumptionToken expirationDate="${utc(next.e)}" ${attrs}>${this.signer.issue(next)}</resumptionToken>\n`;
  }

  /** ListRecords / ListIdentifiers: keyset pages under an upper bound frozen at the first page. */
  private async list(verb: 'ListRecords' | 'ListIdentifiers', args: Record<string, string>): Promise<string> {
    let state: ListState;
    if (args.resumptionToken !== undefined) {
      state = this.signer.read(args.resumptionToken, verb);
      if (!state.p || !this.core.formats.get(state.p)) throw new OaiError('badResumptionToken', 'The resumptionToken names a format this repository no longer has');
    } else {
      const prefix = args.metadataPrefix ?? '';
      const range = harvestRange(args.from, args.until);
      if (!this.core.formats.get(prefix)) throw new OaiError('cannotDisseminateFormat', `Unknown metadataPrefix "${prefix}"`);
      if (args.set !== undefined) {
        const sets = await this.allSets();
        if (!sets.length) throw new OaiError('noSetHierarchy', 'This repository has no sets');
        if (!sets.some((s) => s.spec === args.set)) throw new OaiError('noRecordsMatch', `No set "${args.set}"`);
      }
      // Freeze the upper bound on the change clock: writes committed later carry later datestamps.
      const bound = await transaction(this.core.ds, (m) => nextDatestamp(m, new Date()));
      state = { v: 1, verb, p: prefix, s: args.set ?? null, f: range.from, u: range.untilExclusive, b: bound.getTime(), c: 0, n: 0, e: 0 };
      state.n = await this.count(state);
      if (!state.n) throw new OaiError('noRecordsMatch', 'No records match this request');
    }
    const size = verb === 'ListRecords' ? this.config.pageSize : this.config.identifiersPageSize;
    const rows = await this.page(state, size + 1, verb === 'ListRecords');
    const more = rows.length > size;
    const page = more ? rows.slice(0, size) : rows;
    const body = page.map((r) => (verb === 'ListRecords' ? this.record(r, true) : `${this.header(r)}\n`)).join('');
    const last = page[page.length - 1];
    const next: ListState | null = more && last ? { ...state, ld: dbTime(last.ds), li: last.id, c: state.c + page.length, e: this.expiry() } : null;
    const resume = state.c > 0 || more ? this.tokenElement(next, state.c, Math.max(state.n, state.c + page.length)) : '';
    return `<${verb}>\n${body}${resume}</${verb}>\n`;
  }

  private where(state: ListState, keyset: boolean): { sql: string; params: unknown[]; from: string; alias: string } {
    const ds = this.core.ds;
    const bySet = state.s !== null && state.s !== undefined;
    const alias = bySet ? 's' : 'i';
    const from = bySet
      ? 'oai_item_set s JOIN oai_item i ON i.title_id = s.title_id'
      : 'oai_item i';
    const conds: string[] = [];
    const params: unknown[] = [];
    if (bySet) {
      conds.push('s.set_spec = ?');
      params.push(state.s);
    }
    conds.push(`${alias}.datestamp <= ?`);
    params.push(sqlTime(ds, new Date(state.b)));
    if (state.f !== null && state.f !== undefined) {
      conds.push(`${alias}.datestamp >= ?`);
      params.push(sqlTime(ds, new Date(state.f)));
    }
    if (state.u !== null && state.u !== undefined) {
      conds.push(`${alias}.datestamp < ?`);
      params.push(sqlTime(ds, new Date(state.u)));
    }
    if (keyset && state.ld !== undefined && state.li !== undefined) {
      const at = sqlTime(ds, new Date(state.ld));
      // Written with a leading range on datestamp so that SQLite and MariaDB both read the index
      // in order from the last position (an OR-form makes SQLite scan and sort the rest per page).
      conds.push(`${alias}.datestamp >= ? AND (${alias}.datestamp > ? OR ${alias}.title_id > ?)`);
      params.push(at, at, state.li);
    }
    conds.push('(i.deleted = 1 OR EXISTS (SELECT 1 FROM oai_record x WHERE x.title_id = i.title_id AND x.prefix = ?))');
    params.push(state.p);
    return { sql: conds.join(' AND '), params, from, alias };
  }

  private async count(state: ListState): Promise<number> {
    const w = this.where(state, false);
    const [row] = (await this.core.ds.query(`SELECT COUNT(*) AS n FROM ${w.from} WHERE ${w.sql}`, w.params)) as { n: number | string }[];
    return Number(row?.n ?? 0);
  }

  private async page(state: ListState, limit: number, withXml: boolean): Promise<ItemRow[]> {
    const w = this.where(state, true);
    const xml = withXml ? ', r.xml AS xml' : '';
    const join = withXml ? ' LEFT JOIN oai_record r ON r.title_id = i.title_id AND r.prefix = ?' : '';
    const params = withXml ? [state.p, ...w.params] : w.params;
    const sql =
      `SELECT i.title_id AS id, ${w.alias}.datestamp AS ds, i.deleted AS deleted, i.set_specs AS sets${xml} ` +
      `FROM ${w.from}${join} WHERE ${w.sql} ORDER BY ${w.alias}.datestamp, ${w.alias}.title_id LIMIT ${Number(limit)}`;
    return (await this.core.ds.query(sql, params)) as ItemRow[];
  }
}
