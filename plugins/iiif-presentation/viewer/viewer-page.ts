import { createHash } from 'node:crypto';
import type Koa from 'koa';
import { viewerAssetUrls } from './viewer-assets';

/** What the viewer page shows for a representation. */
export type ViewerKind =
  /** Images with IIIF image services: Mirador opens the manifest. */
  | 'images'
  /** One PDF: the browser's own PDF viewer, with a download link. */
  | 'pdf'
  /** Audio or video files: the browser's own players. */
  | 'av'
  /** Held elsewhere: links to the remote viewer and manifest. */
  | 'remote'
  /** The caller may not see this representation. */
  | 'denied'
  /** Files no browser shows inline (e.g. EPUB, ZIP): download links. */
  | 'download'
  /** No files (yet). */
  | 'empty';

/** An audio or video file of an 'av' page. */
export interface ViewerMedia {
  url: string;
  mimeType: string;
  kind: 'audio' | 'video';
  label: string;
}

/** A file offered for download on a 'download' page. */
export interface ViewerDownload {
  url: string;
  label: string;
  mimeType?: string;
  sizeBytes?: number;
}

/** Everything the viewer page needs; URLs absolute (core.url(...)) or same-origin paths. */
export interface ViewerPageInput {
  representationId: string;
  /** The title shown in the page header and the document title. */
  title: string;
  /** IIIF Presentation 3 manifest Mirador opens ('images'); linked on other kinds when not ''. */
  manifestUrl: string;
  kind: ViewerKind;
  /** The title's public landing page. */
  landingUrl: string;
  /** core.url(ASSETS_PREFIX): where the Mirador bundle and the init script are served. */
  assetsBase: string;
  /** BCP 47 language of the interface (html lang, Mirador's language); en, de and fr have page strings, others fall back to en. */
  lang?: string;
  /** 'pdf': the PDF to embed (e.g. {base}/iiif/content/{fileId}). */
  pdfUrl?: string;
  /** 'av': the files to play, in order. */
  media?: ViewerMedia[];
  /** 'remote': the holding repository's own viewer or landing page. */
  remoteUrl?: string;
  /** 'download': files to offer. */
  downloads?: ViewerDownload[];
  /** 'denied': why, and how to get access (plain text). */
  deniedNote?: string;
  /** Number of canvases; more than one shows Mirador's thumbnail strip. */
  pageCount?: number;
  /** Shown beside the title (the repository's name). */
  repositoryName?: string;
  /** Further origins Mirador may load images and JSON from (an external image server). */
  allowOrigins?: string[];
}

/** The page and the Content-Security-Policy header value that must go with it. */
export interface ViewerPage {
  html: string;
  csp: string;
}

type StringKey =
  | 'viewer' | 'skip' | 'links' | 'about' | 'manifest' | 'imageViewer' | 'noscript' | 'failure' | 'pdfFallback'
  | 'downloadPdf' | 'avFallback' | 'download' | 'remoteIntro' | 'remoteView' | 'deniedTitle' | 'deniedDefault' | 'back'
  | 'downloads' | 'empty';
type Strings = Record<StringKey, string>;

const STRINGS: Record<'en' | 'de' | 'fr', Strings> = {
  en: {
    viewer: 'Viewer',
    skip: 'Skip to the content',
    links: 'Links',
    about: 'About this item',
    manifest: 'IIIF manifest',
    imageViewer: 'Image viewer',
    noscript: 'The image viewer needs JavaScript. You can open the IIIF manifest in another IIIF viewer.',
    failure: 'The image viewer could not be started. You can open the IIIF manifest in another IIIF viewer.',
    pdfFallback: 'Your browser cannot show the PDF here.',
    downloadPdf: 'Download the PDF',
    avFallback: 'Your browser cannot play this file.',
    download: 'Download',
    remoteIntro: 'This item is held by another repository.',
    remoteView: 'View it at the holding repository',
    deniedTitle: 'Access restricted',
    deniedDefault: 'You may not view this item here. The record describes how to obtain access.',
    back: 'Back to the record',
    downloads: 'Files',
    empty: 'No digital copy is available yet.',
  },
  de: {
    viewer: 'Viewer',
    skip: 'Zum Inhalt springen',
    links: 'Links',
    about: 'Über dieses Objekt',
    manifest: 'IIIF-Manifest',
    imageViewer: 'Bildbetrachter',
    noscript: 'Der Bildbetrachter benötigt JavaScript. Sie können das IIIF-Manifest in einem anderen IIIF-Viewer öffnen.',
    failure: 'Der Bildbetrachter konnte nicht gestartet werden. Sie können das IIIF-Manifest in einem anderen IIIF-Viewer öffnen.',
    pdfFallback: 'Ihr Browser kann das PDF hier nicht anzeigen.',
    downloadPdf: 'PDF herunterladen',
    avFallback: 'Ihr Browser kann diese Datei nicht abspielen.',
    download: 'Herunterladen',
    remoteIntro: 'Dieses Objekt wird von einem anderen Repositorium bereitgestellt.',
    remoteView: 'Beim bereitstellenden Repositorium ansehen',
    deniedTitle: 'Zugang eingeschränkt',
    deniedDefault: 'Sie können dieses Objekt hier nicht ansehen. Der Katalogeintrag beschreibt, wie Sie Zugang erhalten.',
    back: 'Zurück zum Katalogeintrag',
    downloads: 'Dateien',
    empty: 'Noch ist keine digitale Kopie verfügbar.',
  },
  fr: {
    viewer: 'Visionneuse',
    skip: 'Aller au contenu',
    links: 'Liens',
    about: 'À propos de ce document',
    manifest: 'Manifeste IIIF',
    imageViewer: "Visionneuse d'images",
    noscript: "La visionneuse d'images nécessite JavaScript. Vous pouvez ouvrir le manifeste IIIF dans une autre visionneuse IIIF.",
    failure: "La visionneuse d'images n'a pas pu démarrer. Vous pouvez ouvrir le manifeste IIIF dans une autre visionneuse IIIF.",
    pdfFallback: 'Votre navigateur ne peut pas afficher le PDF ici.',
    downloadPdf: 'Télécharger le PDF',
    avFallback: 'Votre navigateur ne peut pas lire ce fichier.',
    download: 'Télécharger',
    remoteIntro: 'Ce document est conservé par un autre entrepôt.',
    remoteView: "Le consulter sur le site de l'entrepôt",
    deniedTitle: 'Accès restreint',
    deniedDefault: "Vous ne pouvez pas consulter ce document ici. La notice indique comment y accéder.",
    back: 'Retour à la notice',
    downloads: 'Fichiers',
    empty: "Aucune copie numérique n'est encore disponible.",
  },
};

// Mirador 4's own interface languages (src/config/settings.js, availableLanguages).
const MIRADOR_LANGUAGES = ['ar', 'de', 'en', 'et', 'fa', 'fr', 'hr', 'ja', 'kr', 'lt', 'hu', 'nl', 'nb-NO', 'pl', 'pt-BR', 'vi', 'zh-CN', 'zh-TW', 'it', 'sr', 'sv', 'bg'];

/** The DOM id Mirador renders into. */
export const MIRADOR_ELEMENT_ID = 'colophon-mirador';

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** JSON safe inside a <script> element: no `<`, `>`, `&` (so no `</script>` or `<!--`), no line separators. */
const scriptJson = (value: unknown): string =>
  JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** Only http(s) URLs and same-origin paths become links or sources; anything else (javascript:, data:) is dropped. */
function safeUrl(u: string | undefined): string | undefined {
  if (!u) return undefined;
  if (u.startsWith('/') && !u.startsWith('//')) return u;
  try {
    const p = new URL(u);
    return p.protocol === 'http:' || p.protocol === 'https:' ? p.href : undefined;
  } catch {
    return undefined;
  }
}

const originOf = (u: string | undefined): string | undefined => {
  const s = safeUrl(u);
  if (!s || s.startsWith('/')) return undefined;
  return new URL(s).origin;
};

const uniq = (xs: (string | undefined)[]): string[] => [...new Set(xs.filter((x): x is string => !!x))];

function pickLanguage(lang: string | undefined): { ui: keyof typeof STRINGS; mirador: string } {
  const tag = (lang ?? 'en').trim();
  const primary = tag.split('-')[0]?.toLowerCase() ?? 'en';
  const ui = primary in STRINGS ? (primary as keyof typeof STRINGS) : 'en';
  const mirador =
    MIRADOR_LANGUAGES.find((l) => l.toLowerCase() === tag.toLowerCase()) ??
    MIRADOR_LANGUAGES.find((l) => l.toLowerCase() === primary) ??
    'en';
  return { ui, mirador };
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i] ?? 'TB'}`;
}

// Markup is also well-formed XML (void elements closed, boolean attributes spelt out) so specs
// can check it with an XML parser.
const CSS = `html,body{height:100%;margin:0}
body{display:flex;flex-direction:column;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1b1b;background:#fff}
a{color:#0b57d0}
.skip{position:absolute;left:-10000px;top:0}
.skip:focus{left:1rem;top:.5rem;z-index:10000;background:#fff;padding:.25rem .5rem}
header{display:flex;flex-wrap:wrap;align-items:baseline;gap:.25rem 1.5rem;padding:.5rem 1rem;border-bottom:1px solid #d0d0d0}
.heading{flex:1 1 20rem;min-width:0}
h1{font-size:1.125rem;margin:0;overflow-wrap:anywhere}
.repo{margin:0;font-size:.8125rem;color:#555}
nav ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0}
main{flex:1 1 auto;min-height:0;display:flex;flex-direction:column;position:relative}
#${MIRADOR_ELEMENT_ID}{position:relative;flex:1 1 auto;min-height:20rem}
.doc{width:100%;max-width:60rem;margin:0 auto;padding:1rem;box-sizing:border-box}
.pdf{flex:1 1 auto;display:flex;flex-direction:column}
.pdf object{flex:1 1 auto;width:100%;min-height:30rem;border:0}
.pdf p{margin:.5rem 1rem}
figure{margin:0 0 1.5rem}
video{display:block;max-width:100%;max-height:75vh;background:#000}
audio{display:block;width:100%}
figcaption{margin-top:.25rem}
`;

interface Body {
  main: string;
  /** Origins/keywords per CSP directive beyond the defaults. */
  csp: Partial<Record<'img' | 'connect' | 'media' | 'object' | 'frame', string[]>>;
}

function imagesBody(input: ViewerPageInput, s: Strings, manifest: string | undefined): Body {
  const failureLink = manifest ? ` <a href="${esc(manifest)}">${esc(s.manifest)}</a>` : '';
  const origins = uniq([originOf(input.manifestUrl), ...(input.allowOrigins ?? []).map(originOf)]);
  return {
    main:
      `<div id="${MIRADOR_ELEMENT_ID}" role="region" aria-label="${esc(s.imageViewer)}"></div>\n` +
      `<p id="colophon-viewer-failure" class="doc" hidden="hidden">${esc(s.failure)}${failureLink}</p>\n` +
      `<noscript><p class="doc">${esc(s.noscript)}${failureLink}</p></noscript>`,
    // Mirador fetches the manifest and info.json (connect), loads tiles and thumbnails (img), and
    // the IIIF Authorization Flow opens its token service in an iframe (frame).
    csp: { img: origins, connect: origins, frame: ["'self'", ...origins] },
  };
}

function pdfBody(input: ViewerPageInput, s: Strings): Body {
  const pdf = safeUrl(input.pdfUrl);
  if (!pdf) return emptyBody(input, s);
  const link = `<a href="${esc(pdf)}" download="">${esc(s.downloadPdf)}</a>`;
  const origin = originOf(pdf) ?? "'self'";
  return {
    main:
      `<div class="pdf">\n<object data="${esc(pdf)}" type="application/pdf" aria-label="${esc(input.title)} (PDF)">\n` +
      `<p>${esc(s.pdfFallback)} ${link}</p>\n</object>\n<p>${link}</p>\n</div>`,
    // Chromium's PDF viewer is governed by object-src; other engines treat the object as a frame.
    csp: { object: [origin], frame: [origin] },
  };
}

function avBody(input: ViewerPageInput, s: Strings): Body {
  const items = (input.media ?? []).flatMap((m) => {
    const url = safeUrl(m.url);
    if (!url) return [];
    const tag = m.kind === 'audio' ? 'audio' : 'video';
    return [
      `<figure>\n<${tag} controls="controls" preload="metadata"${tag === 'video' ? ' playsinline="playsinline"' : ''} aria-label="${esc(m.label)}">\n` +
        `<source src="${esc(url)}" type="${esc(m.mimeType)}" />\n` +
        `<p>${esc(s.avFallback)} <a href="${esc(url)}" download="">${esc(s.download)}</a></p>\n</${tag}>\n` +
        `<figcaption>${esc(m.label)} · <a href="${esc(url)}" download="">${esc(s.download)}</a></figcaption>\n</figure>`,
    ];
  });
  if (!items.length) return emptyBody(input, s);
  return { main: `<div class="doc">\n${items.join('\n')}\n</div>`, csp: { media: uniq((input.media ?? []).map((m) => originOf(m.url) ?? "'self'")) } };
}

function remoteBody(input: ViewerPageInput, s: Strings, manifest: string | undefined): Body {
  const remote = safeUrl(input.remoteUrl);
  const links = [
    remote ? `<li><a href="${esc(remote)}" rel="external noopener">${esc(s.remoteView)}</a></li>` : '',
    manifest ? `<li><a href="${esc(manifest)}" rel="external noopener">${esc(s.manifest)}</a></li>` : '',
  ].join('');
  return { main: `<div class="doc">\n<p>${esc(s.remoteIntro)}</p>\n${links ? `<ul>${links}</ul>` : ''}\n</div>`, csp: {} };
}

function deniedBody(input: ViewerPageInput, s: Strings, landing: string | undefined): Body {
  return {
    main:
      `<section class="doc" aria-labelledby="denied-heading">\n<h2 id="denied-heading">${esc(s.deniedTitle)}</h2>\n` +
      `<p>${esc(input.deniedNote || s.deniedDefault)}</p>\n` +
      (landing ? `<p><a href="${esc(landing)}">${esc(s.back)}</a></p>\n` : '') +
      '</section>',
    csp: {},
  };
}

function downloadBody(input: ViewerPageInput, s: Strings): Body {
  const rows = (input.downloads ?? []).flatMap((d) => {
    const url = safeUrl(d.url);
    if (!url) return [];
    const extra = [d.mimeType, d.sizeBytes !== undefined ? formatBytes(d.sizeBytes) : undefined].filter(Boolean).join(', ');
    return [`<li><a href="${esc(url)}" download="">${esc(d.label)}</a>${extra ? ` (${esc(extra)})` : ''}</li>`];
  });
  if (!rows.length) return emptyBody(input, s);
  return { main: `<section class="doc" aria-labelledby="files-heading">\n<h2 id="files-heading">${esc(s.downloads)}</h2>\n<ul>\n${rows.join('\n')}\n</ul>\n</section>`, csp: {} };
}

function emptyBody(_input: ViewerPageInput, s: Strings): Body {
  return { main: `<p class="doc">${esc(s.empty)}</p>`, csp: {} };
}

/** The Mirador 4 configuration of a single-manifest, embedded viewer: no workspace chrome. */
export function miradorConfig(manifestUrl: string, language: string, pageCount?: number): Record<string, unknown> {
  const strip = (pageCount ?? 1) > 1 ? 'far-bottom' : 'off';
  return {
    id: MIRADOR_ELEMENT_ID,
    language,
    windows: [{ manifestId: manifestUrl, thumbnailNavigationPosition: strip }],
    window: {
      allowClose: false,
      allowMaximize: false,
      allowFullscreen: true,
      allowTopMenuButton: true,
      allowWindowSideBar: true,
      sideBarOpen: true,
      sideBarPanel: 'info',
      defaultView: 'single',
    },
    thumbnailNavigation: { defaultPosition: strip },
    workspace: { type: 'mosaic', allowNewWindows: false, isWorkspaceAddVisible: false, draggingEnabled: false, showZoomControls: true },
    workspaceControlPanel: { enabled: false },
  };
}

/**
 * The public viewer page of a representation ({base}/view/{representationId}), with the
 * Content-Security-Policy it must be sent with. Pages other than 'images' run no script at all.
 */
export function renderViewerPage(input: ViewerPageInput): ViewerPage {
  const { ui, mirador } = pickLanguage(input.lang);
  const s: Strings = STRINGS[ui];
  const manifest = safeUrl(input.manifestUrl);
  const landing = safeUrl(input.landingUrl);
  const isImages = input.kind === 'images' && !!manifest;

  let body: Body;
  switch (input.kind) {
    case 'images': body = manifest ? imagesBody(input, s, manifest) : emptyBody(input, s); break;
    case 'pdf': body = pdfBody(input, s); break;
    case 'av': body = avBody(input, s); break;
    case 'remote': body = remoteBody(input, s, manifest); break;
    case 'denied': body = deniedBody(input, s, landing); break;
    case 'download': body = downloadBody(input, s); break;
    default: body = emptyBody(input, s);
  }

  const navLinks = [
    landing ? `<li><a href="${esc(landing)}">${esc(s.about)}</a></li>` : '',
    manifest && input.kind !== 'denied' && input.kind !== 'remote'
      ? `<li><a href="${esc(manifest)}" type="application/ld+json">${esc(s.manifest)}</a></li>`
      : '',
  ].join('');
  // The empty icon spares every page view a request for /favicon.ico that would 404.
  // IIIF Discovery: a link element lets harvesters and browser extensions find the manifest.
  const alternate =
    manifest && input.kind !== 'denied'
      ? `<link rel="alternate" type="application/ld+json;profile=&quot;http://iiif.io/api/presentation/3/context.json&quot;" href="${esc(manifest)}" />\n`
      : '';
  const assets = isImages ? viewerAssetUrls(input.assetsBase) : undefined;
  const scripts = assets
    ? `<script type="application/json" id="colophon-viewer-config">${scriptJson({
        representationId: input.representationId,
        kind: input.kind,
        mirador: miradorConfig(manifest ?? '', mirador, input.pageCount),
      })}</script>\n` +
      `<script src="${esc(assets.miradorScript)}" defer="defer"></script>\n<script src="${esc(assets.viewerInit)}" defer="defer"></script>\n`
    : '';

  const html = `<!DOCTYPE html>
<html lang="${esc(ui)}" xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>${esc(input.title)} · ${esc(s.viewer)}${input.repositoryName ? ` · ${esc(input.repositoryName)}` : ''}</title>
<link rel="icon" href="data:," />
${alternate}<style>${CSS}</style>
</head>
<body class="kind-${esc(input.kind)}">
<a class="skip" href="#content">${esc(s.skip)}</a>
<header>
<div class="heading">${input.repositoryName ? `<p class="repo">${esc(input.repositoryName)}</p>` : ''}<h1>${esc(input.title)}</h1></div>
${navLinks ? `<nav aria-label="${esc(s.links)}"><ul>${navLinks}</ul></nav>` : ''}
</header>
<main id="content">
${body.main}
</main>
${scripts}</body>
</html>
`;
  return { html, csp: buildCsp(isImages, input.assetsBase, body.csp) };
}

function buildCsp(isImages: boolean, assetsBase: string, extra: Body['csp']): string {
  const list = (...xs: (string | undefined)[]): string => uniq(xs).join(' ');
  const styleHash = `'sha256-${createHash('sha256').update(CSS).digest('base64')}'`;
  const d: [string, string][] = [
    ['default-src', "'none'"],
    // Mirador's styles come from emotion, which writes <style> elements at run time without a
    // nonce; pages without Mirador allow only their own stylesheet, by hash.
    ['style-src', isImages ? "'self' 'unsafe-inline'" : styleHash],
    ['script-src', isImages ? list("'self'", originOf(assetsBase)) : "'none'"],
    ['img-src', list("'self'", 'data:', 'blob:', ...(extra.img ?? []))],
    ['connect-src', isImages ? list("'self'", ...(extra.connect ?? [])) : "'none'"],
    ['font-src', isImages ? "'self' data:" : "'none'"],
    ['media-src', extra.media?.length ? list(...extra.media) : "'none'"],
    ['object-src', extra.object?.length ? list(...extra.object) : "'none'"],
    ['frame-src', extra.frame?.length ? list(...extra.frame) : "'none'"],
    ['base-uri', "'none'"],
    ['form-action', "'none'"],
  ];
  // No frame-ancestors: embedding the viewer in other sites' pages is a feature.
  return d.map(([k, v]) => `${k} ${v}`).join('; ');
}

/** Send a viewer page with its security headers (the route sets status and caching if it must). */
export function sendViewerPage(ctx: Koa.Context, input: ViewerPageInput): void {
  const { html, csp } = renderViewerPage(input);
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Content-Security-Policy', csp);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'strict-origin-when-cross-origin');
  // Access depends on who asks (IP, login), so shared caches must not keep the page.
  if (!ctx.response.get('Cache-Control')) ctx.set('Cache-Control', 'private, no-cache');
  ctx.body = html;
}
