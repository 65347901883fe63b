/** A MARC 21 control field (tags 001-009). */
export interface MarcControlField {
  tag: string;
  value: string;
}

export interface MarcSubfield {
  code: string;
  value: string;
}

/** A MARC 21 data field (tags 010-999 and local alphanumeric tags). */
export interface MarcDataField {
  tag: string;
  ind1: string;
  ind2: string;
  subfields: MarcSubfield[];
}

export type MarcField = MarcControlField | MarcDataField;

/** A MARC record, decoded to Unicode (NFC). The leader is 24 characters. */
export interface MarcRecord {
  leader: string;
  fields: MarcField[];
}

/** True for control fields (they carry a value, not subfields). */
export function isControlField(field: MarcField): field is MarcControlField {
  return 'value' in field;
}

/** True for tags 001-009 (and the non-standard 00A-00Z), which are control fields. */
export function isControlTag(tag: string): boolean {
  return tag.startsWith('00');
}

/** The record's data fields with one of these tags, in record order. */
export function dataFields(rec: MarcRecord, ...tags: string[]): MarcDataField[] {
  return rec.fields.filter((f): f is MarcDataField => !isControlField(f) && tags.includes(f.tag));
}

/** The value of the first control field with this tag. */
export function controlValue(rec: MarcRecord, tag: string): string | undefined {
  for (const f of rec.fields) if (isControlField(f) && f.tag === tag) return f.value;
  return undefined;
}

/** Values of a data field's subfields whose code is in `codes` (all subfields if omitted), in order. */
export function subfieldValues(field: MarcDataField, codes?: string): string[] {
  return field.subfields.filter((s) => codes === undefined || codes.includes(s.code)).map((s) => s.value);
}
