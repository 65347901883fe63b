/** Build ISO 2709 records byte by byte, for project-owned MARC fixtures. */
export type BuildField = { tag: string; value: Buffer | string } | { tag: string; ind: string; subfields: [string, Buffer | string][] };

const FT = 0x1e;
const RT = 0x1d;
const SF = 0x1f;
const bytes = (v: Buffer | string): Buffer => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v);

/** One record; `utf8` sets leader/09 to 'a' (else blank: MARC-8). */
export function buildIso2709(fields: BuildField[], opts: { utf8: boolean; type?: string } = { utf8: true }): Buffer {
  const data: Buffer[] = [];
  const dir: string[] = [];
  let offset = 0;
  for (const f of fields) {
    const body =
      'value' in f
        ? Buffer.concat([bytes(f.value), Buffer.from([FT])])
        : Buffer.concat([
            Buffer.from(f.ind, 'latin1'),
            ...f.subfields.map(([c, v]) => Buffer.concat([Buffer.from([SF]), Buffer.from(c, 'latin1'), bytes(v)])),
            Buffer.from([FT]),
          ]);
    dir.push(`${f.tag}${String(body.length).padStart(4, '0')}${String(offset).padStart(5, '0')}`);
    data.push(body);
    offset += body.length;
  }
  const directory = Buffer.from(dir.join('') + String.fromCharCode(FT), 'latin1');
  const base = 24 + directory.length;
  const length = base + offset + 1;
  const leader = `${String(length).padStart(5, '0')}n${opts.type ?? 'a'}m ${opts.utf8 ? 'a' : ' '}22${String(base).padStart(5, '0')} a 4500`;
  return Buffer.concat([Buffer.from(leader, 'latin1'), directory, ...data, Buffer.from([RT])]);
}
