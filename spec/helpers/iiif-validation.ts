/**
 * IIIF Presentation checks for specs, offline:
 * - validatePresentation3: JSON Schema of the IIIF presentation validator
 *   (../shared/schemas/iiif-presentation-3.json; ajv 8 with strict: false, as its README says,
 *   plus ajv-formats). Absent in a user's clone: check presentationSchemaAvailable() first, or
 *   call requirePresentationSchema(this) in a mocha hook to skip with a message.
 * - parseWithIiifParser: @iiif/parser, the parser under iiif-builder, Mirador 4 and Clover:
 *   2.x documents go through its upgrader first, then every document is normalized and
 *   serialized back to 3.0, and a 3.0 manifest also through its strict upgrade, whose warnings
 *   are issues.
 * - parseWithManifesto: manifesto.js, the parser of the Universal Viewer; it parses lazily, so
 *   the helper walks sequences, canvases, images/content, ranges and members to force it.
 * The parse helpers never throw: what goes wrong becomes a string in the returned list.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { normalize, serialize, serializeConfigPresentation3 } from '@iiif/parser';
import { presentation3StrictUpgrade } from '@iiif/parser/strict';
import { upgrade } from '@iiif/parser/upgrader';
import { parseManifest, type Collection, type Manifest } from 'manifesto.js';
import { SHARED_DIR } from './shared-data';

/** ../shared/schemas/iiif-presentation-3.json (IIIF/presentation-validator schema/iiif_3_0.json). */
export const PRESENTATION3_SCHEMA = join(SHARED_DIR, 'schemas', 'iiif-presentation-3.json');

/** True when the Presentation 3.0 JSON Schema is there. */
export function presentationSchemaAvailable(): boolean {
  return existsSync(PRESENTATION3_SCHEMA);
}

/** In a mocha hook or test (`function () {}`): skip, saying why, when the schema is absent. */
export function requirePresentationSchema(ctx: Mocha.Context): void {
  if (!presentationSchemaAvailable()) {
    console.log(`      (skipped: ${PRESENTATION3_SCHEMA} is absent; schema checks need ../shared/schemas)`);
    ctx.skip();
  }
}

let validator: ValidateFunction | undefined;

function compiled(): ValidateFunction {
  if (!validator) {
    if (!presentationSchemaAvailable()) throw new Error(`cannot validate: ${PRESENTATION3_SCHEMA} is absent`);
    // The schema has non-standard top-level keys ("types", "classes"): strict mode would refuse it.
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    validator = ajv.compile(JSON.parse(readFileSync(PRESENTATION3_SCHEMA, 'utf8')) as object);
  }
  return validator;
}

/**
 * Schema errors of a 3.0 Manifest or Collection ("path: message"), empty when valid. The
 * schema's top level is a oneOf (Manifest | Collection | Annotation...), so a single mistake
 * is reported once per branch; read the first few. Throws when the schema is absent.
 */
export function validatePresentation3(doc: unknown): string[] {
  const validate = compiled();
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
}

const str = (e: unknown): string => (e instanceof Error ? e.message : String(e));

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** True for a Presentation 2.x document (its @context names the 2 context). */
export function isPresentation2(doc: unknown): boolean {
  if (!isObject(doc)) return false;
  const ctx = doc['@context'];
  const list = Array.isArray(ctx) ? ctx : [ctx];
  return list.some((c) => c === 'http://iiif.io/api/presentation/2/context.json');
}

/** What @iiif/parser made of a document. */
export interface IiifParserResult {
  issues: string[];
  /** The document as 3.0 (upgraded when it was 2.x, else as given). */
  upgraded: Record<string, unknown> | null;
  /** normalize() entities by type: id → normalized resource. */
  entities: Record<string, Record<string, unknown>> | null;
  /** The normalized document serialized back to 3.0. */
  reserialized: Record<string, unknown> | null;
}

/** Runs @iiif/parser over a 2.x or 3.0 Manifest or Collection; never throws. */
export function parseWithIiifParser(doc: unknown): IiifParserResult {
  const issues: string[] = [];
  const out: IiifParserResult = { issues, upgraded: null, entities: null, reserialized: null };
  if (!isObject(doc)) {
    issues.push('not a JSON object');
    return out;
  }
  try {
    const v3 = isPresentation2(doc) ? (upgrade(structuredClone(doc) as never) as unknown) : structuredClone(doc);
    if (!isObject(v3)) {
      issues.push('upgrade gave no object');
      return out;
    }
    out.upgraded = v3;
    if (v3.type !== 'Manifest' && v3.type !== 'Collection') issues.push(`upgraded type is ${String(v3.type)}`);
    if (v3.type === 'Manifest') {
      const state = { warnings: [] as string[] };
      presentation3StrictUpgrade(structuredClone(v3) as never, state);
      issues.push(...state.warnings.map((w) => `strict: ${w}`));
    }
    const { entities, resource } = normalize(structuredClone(v3));
    out.entities = entities as unknown as Record<string, Record<string, unknown>>;
    if (resource.id !== v3.id) issues.push(`normalized id ${resource.id} is not ${String(v3.id)}`);
    const byType = out.entities[resource.type];
    if (!byType?.[resource.id]) issues.push(`normalize lost the ${resource.type} itself`);
    const store = { entities: out.entities, mapping: {}, requests: {}, meta: {} };
    const back = serialize<Record<string, unknown>>(store as never, { id: resource.id, type: resource.type } as never, serializeConfigPresentation3);
    if (!isObject(back)) issues.push('serialize gave no object');
    else out.reserialized = back;
  } catch (e) {
    issues.push(`@iiif/parser threw: ${str(e)}`);
  }
  return out;
}

/** manifesto's label-like values as text, to make it parse them. */
function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (isObject(v) && typeof (v as { getValue?: unknown }).getValue === 'function') {
    return String((v as { getValue: () => unknown }).getValue() ?? '');
  }
  return JSON.stringify(v);
}

/** What manifesto.js made of a document: issues and a few counts for structural checks. */
export interface ManifestoResult {
  issues: string[];
  /** "Manifest" or "Collection" as manifesto sees it. */
  type: string | null;
  label: string;
  canvases: number;
  /** Painting annotations found on canvases (2.x images, 3.0 content). */
  paintings: number;
  ranges: number;
  members: number;
}

/** Runs manifesto.js over a 2.x or 3.0 Manifest or Collection and walks it; never throws. */
export function parseWithManifesto(doc: unknown): ManifestoResult {
  const r: ManifestoResult = { issues: [], type: null, label: '', canvases: 0, paintings: 0, ranges: 0, members: 0 };
  try {
    const res = parseManifest(structuredClone(doc));
    if (!res) {
      r.issues.push('parseManifest returned null');
      return r;
    }
    r.type = String(res.getIIIFResourceType());
    r.label = text(res.getLabel());
    for (const m of res.getMetadata()) {
      if (!m.getLabel()) r.issues.push('metadata entry without a label');
      m.getValue();
    }
    res.getRequiredStatement();
    res.getHomepage();
    res.getLogo();
    res.getRights();
    res.getNavDate();
    res.getSeeAlso();
    res.getThumbnail();
    res.getDefaultTree();
    if (res.isManifest()) {
      const manifest = res as Manifest;
      manifest.getRenderings().forEach((x) => x.getFormat());
      manifest.getServices();
      for (const seq of manifest.getSequences()) {
        for (const canvas of seq.getCanvases()) {
          r.canvases++;
          text(canvas.getLabel());
          canvas.getWidth();
          canvas.getHeight();
          canvas.getDuration();
          void canvas.imageServiceIds;
          for (const a of [...canvas.getImages(), ...canvas.getContent()]) {
            r.paintings++;
            for (const b of a.getBody()) {
              b.getType();
              b.getFormat();
              b.getServices();
            }
          }
        }
      }
      for (const range of manifest.getAllRanges()) {
        r.ranges++;
        if (!text(range.getLabel())) r.issues.push(`range ${range.id} has no label`);
        range.getCanvasIds();
      }
    } else if (res.isCollection()) {
      const c = res as Collection;
      for (const m of [...c.getManifests(), ...c.getCollections()]) {
        r.members++;
        if (!text(m.getLabel())) r.issues.push(`member ${m.id} has no label`);
      }
    } else {
      r.issues.push('neither a manifest nor a collection');
    }
  } catch (e) {
    r.issues.push(`manifesto threw: ${str(e)}`);
  }
  return r;
}
