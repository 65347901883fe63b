import { type ApiVersion, type ImagePlan } from './types';
import { IMAGE_CONTEXT, LEVEL2_PROFILE } from './image-api-uris';

/*
 * The HTTP-side values of the Image API: link headers (3.0 §4.8 and §6, 2.1 §4.7 and §6) and
 * the media type of info.json (3.0 §5.1, 2.1 §5.1). Pure strings; the routes set the headers.
 */

/** Link header value announcing level 2 compliance: `<…/level2.json>;rel="profile"`. */
export function profileLinkHeader(version: ApiVersion): string {
  return `<${LEVEL2_PROFILE[version]}>;rel="profile"`;
}

/** Link header value naming the canonical URI of an image response: `<url>;rel="canonical"`. */
export function canonicalLinkHeader(url: string): string {
  // Characters that cannot stand inside <…> of RFC 8288 are percent-encoded.
  return `<${url.replace(/[<>"\s]/g, (c) => encodeURIComponent(c))}>;rel="canonical"`;
}

/** The canonical image URL of a plan under its service base URI ({base}/iiif/3/{fileId}). */
export function canonicalImageUrl(serviceId: string, plan: ImagePlan): string {
  return `${serviceId.replace(/\/+$/, '')}/${plan.canonical}`;
}

/**
 * Content-Type of info.json after JSON-LD negotiation. application/ld+json with the context as
 * profile when the client names application/ld+json (at a quality not below application/json);
 * application/json otherwise, wildcards included, so a browser gets plain JSON. Without an
 * Accept header 3.0 answers JSON-LD ("If the request does not include an Accept header, the
 * HTTP Content-Type header of the response SHOULD have the value application/ld+json", 3.0
 * §5.1) and 2.1 plain JSON ("If the client explicitly wants the JSON-LD content-type, then it
 * MUST specify this in an Accept header, otherwise the server MUST return the regular JSON
 * content-type", 2.1 §5.1).
 */
export function infoMediaType(version: ApiVersion, accept?: string | null): string {
  const ldJson = `application/ld+json;profile="${IMAGE_CONTEXT[version]}"`;
  if (accept === undefined || accept === null || accept.trim() === '') {
    return version === 3 ? ldJson : 'application/json';
  }
  const q = acceptQualities(accept);
  const qLd = q.get('application/ld+json');
  const qJson = q.get('application/json');
  if (qLd !== undefined && qLd > 0 && (qJson === undefined || qLd >= qJson)) return ldJson;
  return 'application/json';
}

/** The q value of each media range named in an Accept header (type/subtype lower-cased). */
function acceptQualities(accept: string): Map<string, number> {
  const result = new Map<string, number>();
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';').map((p) => p.trim());
    if (!type) continue;
    let q = 1;
    for (const p of params) {
      const m = /^q\s*=\s*([0-9.]+)$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    if (!Number.isFinite(q)) q = 0;
    const key = type.toLowerCase();
    // A type named twice (e.g. with and without a profile parameter) counts at its best q.
    result.set(key, Math.max(result.get(key) ?? 0, q));
  }
  return result;
}
