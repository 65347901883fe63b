import { z } from 'zod';

/** A IIIF language map (Presentation 3 §4.3 "Language of Property Values"). */
export type LanguageMap = Record<string, string[]>;

/** A text setting: a plain string (in `language`) or a language map. */
const text = z.union([z.string().min(1), z.record(z.string().min(1), z.array(z.string()).min(1))]);
export type TextSetting = z.infer<typeof text>;

/** An http(s) origin as a browser sends it: scheme, host and optional port, nothing else. */
export const ORIGIN_PATTERN = /^https?:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(:\d{1,5})?$/;

/**
 * Authorization Flow 2.0 settings (the `auth` object of the iiif-image plugin's config):
 * `auth: iiifAuthConfig.prefault({})`. Labels left out are made from the repository name.
 */
export const iiifAuthConfig = z.strictObject({
  /** Offer the local login page (app_user with a password) as the `active` access service. */
  loginEnabled: z.boolean().default(true),
  /** Longest side of the reduced image a denied user may see (the probe's substitute); 0: none. */
  degradedMaxSize: z.number().int().min(0).max(10000).default(0),
  /** Access token lifetime, seconds. */
  tokenTtl: z.number().int().min(60).max(86400).default(3600),
  /** Session cookie lifetime, seconds. */
  sessionTtl: z.number().int().min(300).max(30 * 86400).default(8 * 3600),
  /** Access service label; must name the institution (default "Sign in to <repository name>"). */
  label: text.optional(),
  heading: text.optional(),
  note: text.optional(),
  confirmLabel: text.optional(),
  logoutLabel: text.optional(),
  /** Probe heading when access is denied; the profile's deniedNote is the note. */
  deniedHeading: text.optional(),
  /** Probe note when the profile has no deniedNote. */
  deniedNote: text.optional(),
  substituteLabel: text.optional(),
  /** Language of plain-string labels and of profiles' denied notes. */
  language: z.string().min(1).max(35).default('en'),
  cookieName: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('colophon_iiif'),
  /** Failed logins per client address and username per minute before the page answers 429. */
  loginAttemptsPerMinute: z.number().int().min(1).max(1000).default(10),
  /**
   * Tokens only for viewer origins the user signed in from (the access service's `origin`;
   * the server's own origin always): another site cannot silently learn a user's access.
   */
  originBinding: z.boolean().default(true),
  /** Viewer origins the token service serves at all; empty: any. */
  allowedOrigins: z.array(z.string().regex(ORIGIN_PATTERN, 'an origin like https://viewer.example.org')).default([]),
  /** How long a file's representation and profile are remembered for access decisions, ms. */
  lookupTtlMs: z.number().int().min(0).max(600_000).default(5000),
});
export type IiifAuthConfig = z.infer<typeof iiifAuthConfig>;

/** What IiifAuth needs: the four core settings; every other key falls back to the schema's default. */
export type IiifAuthSettings = Pick<IiifAuthConfig, 'loginEnabled' | 'degradedMaxSize' | 'tokenTtl' | 'sessionTtl'> & Partial<IiifAuthConfig>;

/** Fill in the defaults of the keys a settings object leaves out. */
export function authConfigOf(settings: IiifAuthSettings): IiifAuthConfig {
  const defaults = iiifAuthConfig.parse({});
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(settings)) if (v !== undefined) out[k] = v;
  return out as IiifAuthConfig;
}

/** A text setting as a language map. */
export function languageMap(value: TextSetting | undefined, fallback: string, language: string): LanguageMap {
  if (value === undefined) return { [language]: [fallback] };
  return typeof value === 'string' ? { [language]: [value] } : value;
}

/** The first string of a language map, preferring a language (for the server's own HTML pages). */
export function firstText(map: LanguageMap, language: string): string {
  return map[language]?.[0] ?? Object.values(map)[0]?.[0] ?? '';
}
