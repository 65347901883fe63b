/**
 * Colophon's IIIF URL conventions in one place (the project's fixed URL scheme), for the
 * loader that fills ManifestSource and the routes that must answer at these URLs. Pure string
 * building; ids are URI-encoded path segments.
 */

/** Presentation API version of a document. */
export type PresentationVersion = 2 | 3;

const seg = (s: string): string => encodeURIComponent(s);

/** URL builders for one server base (config server.baseUrl, no trailing slash needed). */
export function iiifUrls(baseUrl: string) {
  const base = baseUrl.replace(/\/+$/, '');
  const prez = (v: PresentationVersion): string => `${base}/iiif/presentation/${v}`;
  return {
    base,
    imageService: (v: PresentationVersion, fileId: string): string => `${base}/iiif/${v}/${seg(fileId)}`,
    manifest: (v: PresentationVersion, repId: string): string => `${prez(v)}/${seg(repId)}/manifest`,
    topCollection: (v: PresentationVersion): string => `${prez(v)}/collection/top`,
    collection: (v: PresentationVersion, collectionId: string): string => `${prez(v)}/collection/${seg(collectionId)}`,
    /** Page N (1-based) of a paged collection. */
    collectionPage: (v: PresentationVersion, collectionId: string, page: number): string =>
      `${prez(v)}/collection/${seg(collectionId)}?page=${page}`,
    titleCollection: (v: PresentationVersion, titleId: string): string => `${prez(v)}/title/${seg(titleId)}/collection`,
    discoveryCollection: (): string => `${base}/iiif/discovery/activity/all-changes`,
    discoveryPage: (n: number): string => `${base}/iiif/discovery/activity/page/${n}`,
    viewer: (repId: string): string => `${base}/view/${seg(repId)}`,
    landingPage: (titleId: string): string => `${base}/titles/${seg(titleId)}`,
    content: (fileId: string): string => `${base}/iiif/content/${seg(fileId)}`,
    fileThumbnail: (fileId: string): string => `${base}/thumbnails/files/${seg(fileId)}`,
    representationThumbnail: (repId: string): string => `${base}/thumbnails/representations/${seg(repId)}`,
    oaiGetRecord: (prefix: string, repositoryIdentifier: string, titleId: string): string =>
      `${base}/oai?verb=GetRecord&metadataPrefix=${seg(prefix)}&identifier=${seg(`oai:${repositoryIdentifier}:${titleId}`).replace(/%3A/g, ':')}`,
    authProbe: (fileId: string): string => `${base}/iiif/auth/v2/probe/${seg(fileId)}`,
    authAccess: (): string => `${base}/iiif/auth/v2/access`,
    authToken: (): string => `${base}/iiif/auth/v2/token`,
    authLogout: (): string => `${base}/iiif/auth/v2/logout`,
  };
}

/** What iiifUrls returns. */
export type IiifUrls = ReturnType<typeof iiifUrls>;

/**
 * The id prefix of the resources inside a manifest (canvases, pages, annotations, ranges):
 * the manifest URL without its final `/manifest`.
 */
export function manifestBase(manifestId: string): string {
  if (!manifestId.endsWith('/manifest')) throw new Error(`manifest id must end in /manifest: ${manifestId}`);
  return manifestId.slice(0, -'/manifest'.length);
}
