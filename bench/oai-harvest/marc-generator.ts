/**
 * Deterministic, varied MARCXML records for the harvest bench: monographs, serials, maps and
 * scores with names, titles with subtitles and statements of responsibility, imprints, physical
 * descriptions, notes of very different lengths, subject strings, added entries, links, and for
 * some records the non-Latin script of name and title in linked 880 fields (Cyrillic, Greek,
 * Chinese, Arabic, Hebrew). Record `i` depends only on `(seed, i)`, so every engine loads the
 * same records whatever the chunk size.
 */

/** mulberry32: a small, fast, seedable PRNG (the bench needs repeatability, not quality). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    const x = xs[Math.floor(this.next() * xs.length)];
    if (x === undefined) throw new Error('pick from an empty list');
    return x;
  }
}

const WORDS = [
  'history', 'letters', 'journey', 'river', 'northern', 'kingdom', 'account', 'voyage', 'observations', 'natural',
  'philosophy', 'memoirs', 'collection', 'poems', 'essays', 'survey', 'ancient', 'modern', 'church', 'parish',
  'records', 'botany', 'mineralogy', 'coast', 'islands', 'commerce', 'treatise', 'principles', 'mechanics', 'astronomy',
  'grammar', 'dictionary', 'language', 'sermons', 'travels', 'interior', 'description', 'county', 'antiquities', 'railway',
  'harbour', 'fisheries', 'agriculture', 'education', 'reform', 'parliament', 'revolution', 'empire', 'colonies', 'frontier',
  'medicine', 'surgery', 'anatomy', 'chemistry', 'music', 'songs', 'hymns', 'theatre', 'architecture', 'gardens',
  'women', 'children', 'labour', 'industry', 'mills', 'mining', 'shipping', 'war', 'peace', 'treaty',
  'law', 'customs', 'folklore', 'legends', 'maps', 'atlas', 'charts', 'cities', 'villages', 'roads',
];
const SMALL = ['of', 'the', 'and', 'in', 'on', 'with', 'from', 'to', 'for', 'during'];

const SURNAMES = ['Abbott', 'Bérenger', 'Carvalho', 'Dąbrowski', 'Eriksson', 'Fitzgerald', 'Grünewald', 'Hämäläinen', 'Ibáñez', 'Jansen', 'Kovač', 'Lindqvist', 'Moreau', 'Nakamura', 'Ó Briain', 'Petrov', 'Quintana', 'Rossi', 'Schäfer', 'Tanaka', 'Urquhart', 'Vasquez', 'Wróblewski', 'Yilmaz', 'Zúñiga'];
const FORENAMES = ['Anna', 'Bertrand', 'Clara', 'Dmitri', 'Elżbieta', 'François', 'Greta', 'Hugo', 'Inés', 'Jörg', 'Katarzyna', 'Lars', 'Margarethe', 'Nils', 'Olga', 'Pierre', 'Rosalind', 'Søren', 'Thérèse', 'William'];
const PLACES: [string, string][] = [['London', 'enk'], ['Edinburgh', 'stk'], ['New York', 'nyu'], ['Paris', 'fr '], ['Leipzig', 'gw '], ['Boston', 'mau'], ['Amsterdam', 'ne '], ['Philadelphia', 'pau'], ['Dublin', 'ie '], ['Wien', 'au ']];
const PUBLISHERS = ['Longman, Hurst, Rees, Orme, and Brown', 'J. Murray', 'Harper & Brothers', 'Oxford University Press', 'Chapman and Hall', 'F.A. Brockhaus', 'Macmillan and Co.', 'Houghton, Mifflin and Company', 'Printed for the author', 'Smith, Elder & Co.'];
const TOPICS = ['Natural history', 'Voyages and travels', 'Botany', 'Geology', 'Railroads', 'Shipbuilding', 'Women', 'Education', 'Music', 'Architecture', 'Church history', 'Agriculture', 'Medicine', 'Cartography', 'Folklore', 'Fisheries', 'Coal mines and mining', 'Labor', 'Theater', 'Gardens'];
const SUBDIV_X = ['History', 'Social life and customs', 'Description and travel', 'Politics and government', 'Economic conditions', 'Biography'];
const SUBDIV_Y = ['18th century', '19th century', '20th century', '1800-1899', '1900-1945'];
const GEO = ['Great Britain', 'Scotland', 'Norway', 'Canada', 'Australia', 'France', 'Germany', 'Poland', 'Japan', 'Egypt'];
const FORM_V = ['Maps', 'Early works to 1800', 'Periodicals', 'Sources', 'Pictorial works', 'Bibliography'];
const SERIES = ['Transactions of the Natural History Society', 'Library of travel', 'Studies in economic history', 'Hakluyt Society publications', 'Bibliotheca historica'];

/** Name and title in a non-Latin script, with the MARC script identification code of $6. */
const SCRIPTS: { code: string; lang: string; names: string[]; titles: string[][] }[] = [
  { code: '(N', lang: 'rus', names: ['Толстой, Лев Николаевич', 'Менделеев, Дмитрий Иванович', 'Пушкин, Александр Сергеевич'], titles: [['История', 'русской', 'литературы'], ['Путешествие', 'по', 'Сибири'], ['Основы', 'химии']] },
  { code: '(S', lang: 'gre', names: ['Καβάφης, Κωνσταντίνος Π.', 'Σολωμός, Διονύσιος'], titles: [['Ιστορία', 'της', 'Ελλάδος'], ['Ποιήματα', 'και', 'πεζά']] },
  { code: '$1', lang: 'chi', names: ['魯迅', '梁啟超', '胡適'], titles: [['中國', '小說', '史略'], ['飲冰室', '文集'], ['白話', '文學史']] },
  { code: '(3', lang: 'ara', names: ['طه حسين', 'نجيب محفوظ'], titles: [['في', 'الأدب', 'الجاهلي'], ['تاريخ', 'مصر', 'الحديث']] },
  { code: '(2', lang: 'heb', names: ['עגנון, שמואל יוסף', 'ביאליק, חיים נחמן'], titles: [['סיפורים', 'ואגדות'], ['שירים', 'ופואמות']] },
];

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** A run of words in the style of a title (small words between the others). */
function phrase(rng: Rng, min: number, max: number): string {
  const n = rng.int(min, max);
  const out: string[] = [];
  for (let k = 0; k < n; k++) out.push(k > 0 && k < n - 1 && rng.chance(0.35) ? rng.pick(SMALL) : rng.pick(WORDS));
  return out.join(' ');
}

/** Prose of roughly `chars` characters, in sentences. */
function prose(rng: Rng, chars: number): string {
  const out: string[] = [];
  let len = 0;
  while (len < chars) {
    const s = `${cap(phrase(rng, 5, 14))}${rng.chance(0.2) ? `, ${phrase(rng, 3, 8)}` : ''}.`;
    out.push(s);
    len += s.length + 1;
  }
  return out.join(' ');
}

type Sub = [string, string];

function datafield(tag: string, ind1: string, ind2: string, subs: Sub[]): string {
  return `<datafield tag="${tag}" ind1="${ind1}" ind2="${ind2}">${subs.map(([c, v]) => `<subfield code="${c}">${esc(v)}</subfield>`).join('')}</datafield>`;
}

const control = (tag: string, v: string): string => `<controlfield tag="${tag}">${esc(v)}</controlfield>`;

/** One MARCXML <record> (no XML declaration, in the MARC 21 slim namespace of its collection). */
export function marcRecord(seed: number, i: number): string {
  // Record i's own stream: seed and index mixed, so records do not share sequences.
  const rng = new Rng(Math.imul(seed ^ 0x9e3779b9, 2654435761) ^ Math.imul(i + 1, 0x85ebca6b));
  const kind = rng.pick(['book', 'book', 'book', 'book', 'book', 'book', 'serial', 'map', 'score']);
  const type = { book: 'a', serial: 'a', map: 'e', score: 'c' }[kind];
  const level = kind === 'serial' ? 's' : 'm';
  const year = rng.int(1650, 1999);
  const [place, placeCode] = rng.pick(PLACES);
  const script = rng.chance(0.15) ? rng.pick(SCRIPTS) : null;
  const lang = script ? script.lang : rng.pick(['eng', 'eng', 'eng', 'eng', 'fre', 'ger', 'dut']);
  const entered = `${String(rng.int(90, 99))}${String(rng.int(1, 12)).padStart(2, '0')}${String(rng.int(1, 28)).padStart(2, '0')}`;
  const f: string[] = [];
  f.push(`<leader>00000n${type}${level} a2200000 i 4500</leader>`);
  f.push(control('001', `bench${String(i + 1).padStart(9, '0')}`));
  f.push(control('003', 'XX-BnCOL'));
  f.push(control('005', `20${String(rng.int(10, 24)).padStart(2, '0')}0${rng.int(1, 9)}1${rng.int(0, 9)}1${rng.int(0, 9)}3045.0`));
  f.push(control('008', `${entered}s${year}    ${placeCode}${' '.repeat(17)}${lang} d`));
  if (kind === 'book' && rng.chance(0.5)) f.push(datafield('020', ' ', ' ', [['a', `978${String(rng.int(0, 9_999_999_999)).padStart(10, '0')}`], ['q', rng.pick(['(paperback)', '(cloth)', '(alk. paper)'])]]));
  if (kind === 'serial') f.push(datafield('022', ' ', ' ', [['a', `${rng.int(1000, 9999)}-${rng.int(100, 999)}X`]]));
  if (rng.chance(0.5)) f.push(datafield('035', ' ', ' ', [['a', `(OCoLC)${rng.int(1_000_000, 999_999_999)}`]]));
  f.push(datafield('040', ' ', ' ', [['a', 'XX-BnCOL'], ['c', 'XX-BnCOL']]));
  if (lang !== 'eng' && rng.chance(0.5)) f.push(datafield('041', '1', ' ', [['a', lang], ['h', 'eng']]));
  const hasAuthor = kind !== 'serial' && rng.chance(0.85);
  const author = script ? rng.pick(script.names) : null;
  const surname = rng.pick(SURNAMES);
  const forename = rng.pick(FORENAMES);
  const born = year - rng.int(25, 70);
  if (hasAuthor) {
    const subs: Sub[] = [];
    if (author) subs.push(['6', '880-01']);
    subs.push(['a', `${surname}, ${forename},`], ['d', `${born}-${born + rng.int(30, 90)},`], ['e', kind === 'map' ? 'cartographer.' : kind === 'score' ? 'composer.' : 'author.']);
    f.push(datafield('100', '1', ' ', subs));
  }
  const main = cap(phrase(rng, 1, 4));
  const sub = rng.chance(0.7) ? phrase(rng, 2, 6) : null;
  const resp = hasAuthor ? `by ${forename} ${surname}` : rng.chance(0.5) ? `edited by ${rng.pick(FORENAMES)} ${rng.pick(SURNAMES)}` : null;
  const t: Sub[] = [];
  if (script) t.push(['6', hasAuthor ? '880-02' : '880-01']);
  t.push(['a', `${main}${sub ? ' :' : resp ? ' /' : '.'}`]);
  if (sub) t.push(['b', `${sub}${resp ? ' /' : '.'}`]);
  if (resp) t.push(['c', `${resp}.`]);
  f.push(datafield('245', hasAuthor ? '1' : '0', '0', t));
  if (rng.chance(0.1)) f.push(datafield('246', '3', ' ', [['a', cap(phrase(rng, 2, 5))]]));
  if (rng.chance(0.25)) f.push(datafield('250', ' ', ' ', [['a', rng.pick(['Second edition.', 'New edition, revised and enlarged.', '3rd ed.', 'Facsimile edition.'])]]));
  if (kind === 'map') f.push(datafield('255', ' ', ' ', [['a', `Scale 1:${rng.pick(['50,000', '250,000', '1,000,000'])}.`]]));
  f.push(datafield('260', ' ', ' ', [['a', `${place} :`], ['b', `${rng.pick(PUBLISHERS)},`], ['c', `${year}.`]]));
  const extent = kind === 'map' ? `1 map : ${rng.pick(['hand coloured', 'colour'])} ;` : kind === 'score' ? `1 score (${rng.int(8, 120)} pages) ;` : `${rng.pick(['xii, ', 'xxiv, ', '', 'viii, '])}${rng.int(40, 900)} pages :`;
  f.push(datafield('300', ' ', ' ', [['a', extent], ['b', rng.pick(['illustrations, maps ;', 'plates, portraits ;', 'facsimiles ;', 'illustrations ;'])], ['c', `${rng.int(15, 60)} cm`]]));
  if (rng.chance(0.15)) {
    f.push(datafield('336', ' ', ' ', [['a', kind === 'map' ? 'cartographic image' : kind === 'score' ? 'notated music' : 'text'], ['b', kind === 'map' ? 'cri' : kind === 'score' ? 'ntm' : 'txt'], ['2', 'rdacontent']]));
    f.push(datafield('337', ' ', ' ', [['a', 'unmediated'], ['b', 'n'], ['2', 'rdamedia']]));
  }
  if (rng.chance(0.2)) f.push(datafield('490', '0', ' ', [['a', `${rng.pick(SERIES)} ;`], ['v', `v. ${rng.int(1, 80)}`]]));
  // Notes: from a one-liner to a long paragraph; most records have one or two.
  const notes = rng.pick([0, 0, 0, 0, 1, 1, 2]);
  for (let k = 0; k < notes; k++) f.push(datafield('500', ' ', ' ', [['a', prose(rng, rng.pick([20, 30, 50, 80, 150]))]]));
  if (rng.chance(0.25)) f.push(datafield('504', ' ', ' ', [['a', `Includes bibliographical references (pages ${rng.int(200, 400)}-${rng.int(401, 450)}) and index.`]]));
  if (rng.chance(0.06)) {
    const chapters = Array.from({ length: rng.int(4, 12) }, () => cap(phrase(rng, 2, 6)));
    f.push(datafield('505', '0', ' ', [['a', `${chapters.join(' -- ')}.`]]));
  }
  if (rng.chance(0.25)) f.push(datafield('520', ' ', ' ', [['a', prose(rng, rng.pick([60, 100, 200, 350]))]]));
  if (lang !== 'eng' && rng.chance(0.4)) f.push(datafield('546', ' ', ' ', [['a', `Text in ${({ fre: 'French', ger: 'German', dut: 'Dutch', rus: 'Russian', gre: 'Greek', chi: 'Chinese', ara: 'Arabic', heb: 'Hebrew' } as Record<string, string>)[lang] ?? lang}.`]]));
  if (rng.chance(0.15)) f.push(datafield('600', '1', '0', [['a', `${rng.pick(SURNAMES)}, ${rng.pick(FORENAMES)},`], ['d', `${born - 40}-${born}.`]]));
  const subjects = rng.pick([1, 1, 1, 2, 2, 3]);
  for (let k = 0; k < subjects; k++) {
    const s: Sub[] = [['a', rng.pick(TOPICS)]];
    if (rng.chance(0.4)) s.push(['z', rng.pick(GEO)]);
    if (rng.chance(0.3)) s.push(['x', rng.pick(SUBDIV_X)]);
    if (rng.chance(0.25)) s.push(['y', rng.pick(SUBDIV_Y)]);
    if (rng.chance(0.15)) s.push(['v', rng.pick(FORM_V)]);
    const last = s[s.length - 1];
    if (last) last[1] += '.';
    f.push(datafield('650', ' ', '0', s));
  }
  if (rng.chance(0.2)) f.push(datafield('651', ' ', '0', [['a', rng.pick(GEO)], ['x', `${rng.pick(SUBDIV_X)}.`]]));
  const added = rng.pick([0, 0, 0, 0, 1, 2]);
  for (let k = 0; k < added; k++) f.push(datafield('700', '1', ' ', [['a', `${rng.pick(SURNAMES)}, ${rng.pick(FORENAMES)},`], ['e', `${rng.pick(['editor', 'translator', 'illustrator', 'engraver'])}.`]]));
  if (rng.chance(0.7)) f.push(datafield('856', '4', '0', [['u', `https://digital.example.org/bench/${i + 1}`], ['z', rng.pick(['Digital copy', 'Online version', 'Page images'])]]));
  if (script) {
    let n = 1;
    if (hasAuthor && author) f.push(datafield('880', '1', ' ', [['6', `100-0${n++}/${script.code}`], ['a', `${author},`], ['e', 'author.']]));
    const words = rng.pick(script.titles);
    f.push(datafield('880', hasAuthor ? '1' : '0', '0', [['6', `245-0${n}/${script.code}`], ['a', `${words.join(' ')}.`]]));
  }
  return `<record>${f.join('')}</record>`;
}

/** A MARCXML collection of records `from` .. `to - 1`; returns the body and each record's length in bytes. */
export function marcCollection(seed: number, from: number, to: number): { body: Buffer; recordBytes: number[] } {
  const recs: string[] = [];
  const recordBytes: number[] = [];
  for (let i = from; i < to; i++) {
    const r = marcRecord(seed, i);
    recs.push(r);
    recordBytes.push(Buffer.byteLength(r));
  }
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">\n${recs.join('\n')}\n</collection>\n`;
  return { body: Buffer.from(body, 'utf8'), recordBytes };
}
