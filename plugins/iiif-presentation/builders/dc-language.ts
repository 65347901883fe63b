/**
 * Languages for IIIF language maps. Keys of a language map are BCP 47 tags (Presentation 3.0
 * §4.4), and BCP 47 uses the ISO 639-1 two-letter code wherever one exists: dc:language from
 * MARC carries ISO 639-2 (bibliographic "ger", terminologic "deu"), which both become "de".
 * Codes without a two-letter form ("grc" Ancient Greek, "syc" Syriac) stay as they are, which
 * BCP 47 allows. Unknown, multiple or no language is "none", as §4.4 requires.
 */
import type { DublinCore } from '../../../core/db/entities/title.entity';

// ISO 639-2 (B and T) → ISO 639-1, from Debian's iso-codes (iso_639-2.json): code + 2 letters.
const PAIRS =
  'aaraa abkab afraf akaak albsq amham araar argan armhy asmas avaav aveae aymay azeaz bakba bambm ' +
  'baqeu belbe benbn bihbh bisbi bodbo bosbs brebr bulbg burmy catca cescs chach chece chizh chucu ' +
  'chvcv corkw cosco crecr cymcy czecs danda deude divdv dutnl dzodz ellel engen epoeo estet euseu ' +
  'eweee faofo fasfa fijfj finfi frafr frefr fryfy fulff geoka gerde glagd glega glggl glvgv greel ' +
  'grngn gujgu hatht hauha hebhe herhz hinhi hmoho hrvhr hunhu hyehy iboig iceis idoio iiiii ikuiu ' +
  'ileie inaia indid ipkik islis itait javjv jpnja kalkl kankn kasks katka kaukr kazkk khmkm kikki ' +
  'kinrw kirky komkv konkg korko kuakj kurku laolo latla lavlv limli linln litlt ltzlb lublu luglg ' +
  'macmk mahmh malml maomi marmr mayms mkdmk mlgmg mltmt monmn mrimi msams myamy nauna navnv nblnr ' +
  'ndend ndong nepne nldnl nnonn nobnb norno nyany ocioc ojioj orior ormom ossos panpa perfa plipi ' +
  'polpl porpt pusps quequ rohrm ronro rumro runrn rusru sagsg sansa sinsi slksk slosk slvsl smese ' +
  'smosm snasn sndsd somso sotst spaes sqisq srdsc srpsr sswss sunsu swasw swesv tahty tamta tattt ' +
  'telte tgktg tgltl thath tibbo tirti tonto tsntn tsots tuktk turtr twitw uigug ukruk urdur uzbuz ' +
  'venve vievi volvo welcy wlnwa wolwo xhoxh yidyi yoryo zhaza zhozh zulzu';

const TWO_LETTER = new Map(PAIRS.split(' ').map((p) => [p.slice(0, 3), p.slice(3)]));
const TWO_LETTER_CODES = new Set(TWO_LETTER.values());

/** ISO 639-2 codes that name no single language: undetermined, multiple, none, uncoded. */
const NO_LANGUAGE = new Set(['und', 'mul', 'zxx', 'mis']);

/**
 * The BCP 47 tag for one dc:language value, or null when it names no single language.
 * Accepts ISO 639-2 codes, ISO 639-1 codes and simple BCP 47 tags ("en-GB"); free text
 * ("English") and tags with digits (the schema's language-map keys allow letters and "-" only)
 * give null.
 */
export function bcp47FromDcLanguage(value: string): string | null {
  const v = value.trim();
  const m = /^([A-Za-z]{2,3})((?:-[A-Za-z]{2,8})*)$/.exec(v);
  if (!m) return null;
  const primary = (m[1] as string).toLowerCase();
  const rest = m[2] ?? '';
  if (primary.length === 2) return TWO_LETTER_CODES.has(primary) ? primary + rest : null;
  if (NO_LANGUAGE.has(primary) || (primary >= 'qaa' && primary <= 'qtz')) return null;
  return (TWO_LETTER.get(primary) ?? primary) + rest;
}

/** The distinct BCP 47 tags of a title's dc:language values, in order. */
export function dcLanguages(dc: DublinCore): string[] {
  const tags = (dc.language ?? []).map(bcp47FromDcLanguage).filter((t): t is string => !!t);
  return [...new Set(tags)];
}

/**
 * The title's language: the first dc:language value that maps to a tag (MARC puts the
 * predominant language first), else "none".
 */
export function titleLanguage(dc: DublinCore): string {
  return dcLanguages(dc)[0] ?? 'none';
}
