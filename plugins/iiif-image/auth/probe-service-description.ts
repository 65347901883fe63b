import type { LanguageMap } from './auth-config';

/** The JSON-LD context of Authorization Flow 2.0. */
export const AUTH2_CONTEXT = 'http://iiif.io/api/auth/2/context.json';

/** Fixed paths of the services (see the URL conventions); absolute URLs come from the base URL. */
export const AUTH_PATHS = {
  probe: (fileId: string): string => `/iiif/auth/v2/probe/${encodeURIComponent(fileId)}`,
  access: '/iiif/auth/v2/access',
  token: '/iiif/auth/v2/token',
  logout: '/iiif/auth/v2/logout',
  content: (fileId: string): string => `/iiif/content/${encodeURIComponent(fileId)}`,
  /** Router patterns of the two per-file routes. */
  probeRoute: '/iiif/auth/v2/probe/:fileId',
  contentRoute: '/iiif/content/:fileId',
} as const;

/** The strings viewers show (language maps, §3.3.1). */
export interface AuthLabels {
  /** Access service label: must name the institution. */
  label: LanguageMap;
  heading?: LanguageMap;
  note?: LanguageMap;
  confirmLabel?: LanguageMap;
  logoutLabel: LanguageMap;
}

/**
 * The AuthProbeService2 of a file (§2.1, §5.1), to put in the `service` of an info.json or of a
 * content resource in a manifest. With the login on, it offers the `active` access service
 * (the login page) with its token and logout services; with it off, an `external` one (the
 * authorizing aspect is the client's address) with only a token service. `errorHeading` and
 * `errorNote` are the defaults a viewer shows when the probe denies without text of its own.
 * No `@context` here: the embedding document lists the auth context (§2.1).
 */
export function probeServiceDescription(
  fileId: string,
  url: (path: string) => string,
  labels: AuthLabels,
  opts: { loginEnabled: boolean; errorHeading?: LanguageMap; errorNote?: LanguageMap | null } = { loginEnabled: true },
): Record<string, unknown> {
  const token = { id: url(AUTH_PATHS.token), type: 'AuthAccessTokenService2' };
  const access: Record<string, unknown> = opts.loginEnabled
    ? {
        id: url(AUTH_PATHS.access),
        type: 'AuthAccessService2',
        profile: 'active',
        label: labels.label,
        ...(labels.heading ? { heading: labels.heading } : {}),
        ...(labels.note ? { note: labels.note } : {}),
        ...(labels.confirmLabel ? { confirmLabel: labels.confirmLabel } : {}),
        service: [token, { id: url(AUTH_PATHS.logout), type: 'AuthLogoutService2', label: labels.logoutLabel }],
      }
    : { type: 'AuthAccessService2', profile: 'external', label: labels.label, service: [token] };
  const probe: Record<string, unknown> = { id: url(AUTH_PATHS.probe(fileId)), type: 'AuthProbeService2', service: [access] };
  // §5.1: errorNote only together with errorHeading.
  if (opts.errorHeading) {
    probe.errorHeading = opts.errorHeading;
    if (opts.errorNote) probe.errorNote = opts.errorNote;
  }
  return probe;
}
