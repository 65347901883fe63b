import { expect } from 'chai';
import type { TestApp } from '../../helpers/test-app';

/** One OAI-PMH exchange, kept for schema validation at the end of a suite. */
export interface OaiExchange {
  query: string;
  status: number;
  type: string;
  text: string;
}

/** Drives /oai with GET and keeps every response. */
export class OaiClient {
  readonly seen: OaiExchange[] = [];
  constructor(
    private readonly t: TestApp,
    private readonly path = '/oai',
  ) {}

  async get(query: string): Promise<string> {
    const res = await this.t.http.get(`${this.path}?${query}`).buffer(true).parse((r, cb) => {
      const parts: Buffer[] = [];
      r.on('data', (c: Buffer) => parts.push(c));
      r.on('end', () => cb(null, Buffer.concat(parts).toString('utf8')));
    });
    const text = res.body as string;
    this.seen.push({ query, status: res.status, type: res.headers['content-type'] ?? '', text });
    expect(res.status, query).to.equal(200);
    expect(res.headers['content-type']).to.equal('text/xml; charset=UTF-8');
    return text;
  }

  /** The error code of a response, or null. */
  static error(xml: string): string | null {
    return /<error code="([A-Za-z]+)">/.exec(xml)?.[1] ?? null;
  }

  /** The attributes of <request>. */
  static requestAttributes(xml: string): Record<string, string> {
    const m = /<request([^>]*)>/.exec(xml);
    const out: Record<string, string> = {};
    for (const a of (m?.[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)) out[a[1] ?? ''] = a[2] ?? '';
    return out;
  }

  static identifiers(xml: string): string[] {
    return [...xml.matchAll(/<identifier>([^<]+)<\/identifier>/g)].map((m) => m[1] ?? '');
  }

  static token(xml: string): { value: string; cursor: number; size: number; expires: string | null } | null {
    const m = /<resumptionToken([^>]*?)(?:\/>|>([^<]*)<\/resumptionToken>)/.exec(xml);
    if (!m) return null;
    const attrs = m[1] ?? '';
    return {
      value: m[2] ?? '',
      cursor: Number(/cursor="(\d+)"/.exec(attrs)?.[1]),
      size: Number(/completeListSize="(\d+)"/.exec(attrs)?.[1]),
      expires: /expirationDate="([^"]+)"/.exec(attrs)?.[1] ?? null,
    };
  }

  /** Every setSpec of ListSets, following tokens. */
  async harvestSets(): Promise<string[]> {
    const out: string[] = [];
    let xml = await this.get('verb=ListSets');
    for (;;) {
      out.push(...[...xml.matchAll(/<setSpec>([^<]*)<\/setSpec>/g)].map((m) => m[1] ?? ''));
      const tok = OaiClient.token(xml);
      if (!tok?.value) return out;
      xml = await this.get(`verb=ListSets&resumptionToken=${encodeURIComponent(tok.value)}`);
    }
  }

  /** Harvest a whole list, following tokens; returns every header's identifier, datestamp and status. */
  async harvest(first: string): Promise<{ id: string; datestamp: string; deleted: boolean; sets: string[] }[]> {
    const out: { id: string; datestamp: string; deleted: boolean; sets: string[] }[] = [];
    let xml = await this.get(first);
    const verb = /verb=(\w+)/.exec(first)?.[1] ?? '';
    for (;;) {
      if (OaiClient.error(xml) === 'noRecordsMatch') return out;
      expect(OaiClient.error(xml), xml.slice(0, 500)).to.equal(null);
      for (const h of xml.matchAll(/<header( status="deleted")?><identifier>([^<]+)<\/identifier><datestamp>([^<]+)<\/datestamp>((?:<setSpec>[^<]*<\/setSpec>)*)<\/header>/g)) {
        out.push({ id: h[2] ?? '', datestamp: h[3] ?? '', deleted: !!h[1], sets: [...(h[4] ?? '').matchAll(/<setSpec>([^<]*)<\/setSpec>/g)].map((s) => s[1] ?? '') });
      }
      const tok = OaiClient.token(xml);
      if (!tok?.value) return out;
      xml = await this.get(`verb=${verb}&resumptionToken=${encodeURIComponent(tok.value)}`);
    }
  }
}
