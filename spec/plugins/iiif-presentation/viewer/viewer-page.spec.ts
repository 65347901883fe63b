import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { SaxesParser } from 'saxes';
import { miradorVersion, viewerAssetUrls } from '../../../../plugins/iiif-presentation/viewer/viewer-assets';
import { MIRADOR_ELEMENT_ID, renderViewerPage, type ViewerPageInput } from '../../../../plugins/iiif-presentation/viewer/viewer-page';

// The page is written to be well-formed XML as well as HTML5, so an XML parser is a strict check
// of escaping and nesting here; the Chromium spec checks that browsers read it as intended.
interface El {
  name: string;
  attrs: Record<string, string>;
  children: (El | string)[];
}

function parse(html: string): El {
  const parser = new SaxesParser({ xmlns: false });
  const root: El = { name: '#document', attrs: {}, children: [] };
  const stack: El[] = [root];
  parser.on('opentag', (t) => {
    const el: El = { name: t.name, attrs: { ...(t.attributes as Record<string, string>) }, children: [] };
    stack[stack.length - 1]?.children.push(el);
    stack.push(el);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  parser.on('text', (t) => {
    stack[stack.length - 1]?.children.push(t);
  });
  parser.on('error', (e) => {
    throw e;
  });
  parser.write(html).close();
  return root;
}

function all(el: El, name: string): El[] {
  const out: El[] = [];
  const walk = (e: El): void => {
    for (const c of e.children) {
      if (typeof c === 'string') continue;
      if (c.name === name) out.push(c);
      walk(c);
    }
  };
  walk(el);
  return out;
}

const one = (el: El, name: string): El => {
  const found = all(el, name);
  expect(found, `<${name}> elements`).to.have.length(1);
  return found[0] as El;
};

const text = (el: El): string => el.children.map((c) => (typeof c === 'string' ? c : text(c))).join('');

function cspDirectives(csp: string): Map<string, string[]> {
  return new Map(
    csp.split(';').map((d) => d.trim()).filter(Boolean).map((d) => {
      const [k, ...v] = d.split(/\s+/);
      return [k ?? '', v];
    }),
  );
}

const BASE = 'https://colophon.example.org/lib';
const base: ViewerPageInput = {
  representationId: 'rep-1',
  title: 'Atlas of the Rhine',
  manifestUrl: `${BASE}/iiif/presentation/3/rep-1/manifest`,
  kind: 'images',
  landingUrl: `${BASE}/titles/t-1`,
  assetsBase: `${BASE}/assets`,
};

describe('iiif-presentation viewer page (renderViewerPage)', function () {
  it('images: Mirador opens the manifest, configured without workspace chrome, scripts only from files', function () {
    const { html, csp } = renderViewerPage({ ...base, pageCount: 12, repositoryName: 'Test Library' });
    const doc = parse(html);
    const htmlEl = one(doc, 'html');
    expect(htmlEl.attrs.lang).to.equal('en');
    expect(text(one(doc, 'title'))).to.equal('Atlas of the Rhine · Viewer · Test Library');
    expect(text(one(doc, 'h1'))).to.equal('Atlas of the Rhine');
    expect(text(one(one(doc, 'header'), 'p'))).to.equal('Test Library');
    one(doc, 'header');
    one(doc, 'main');
    const nav = one(doc, 'nav');
    expect(nav.attrs['aria-label']).to.equal('Links');
    expect(all(nav, 'a').map((a) => a.attrs.href)).to.deep.equal([base.landingUrl, base.manifestUrl]);
    const alt = all(doc, 'link').find((l) => l.attrs.rel === 'alternate') as El;
    expect(alt.attrs).to.include({ rel: 'alternate', href: base.manifestUrl });
    expect(alt.attrs.type).to.contain('presentation/3/context.json');

    const host = all(doc, 'div').find((d) => d.attrs.id === MIRADOR_ELEMENT_ID);
    expect(host, 'Mirador host element').to.not.equal(undefined);
    expect(host?.attrs.role).to.equal('region');

    const scripts = all(doc, 'script');
    expect(scripts).to.have.length(3);
    const [cfgEl, mirador, init] = scripts as [El, El, El];
    expect(cfgEl.attrs).to.include({ type: 'application/json', id: 'colophon-viewer-config' });
    const urls = viewerAssetUrls(base.assetsBase);
    expect(mirador.attrs.src).to.equal(urls.miradorScript).and.to.equal(`${BASE}/assets/mirador/${miradorVersion()}/mirador.min.js`);
    expect(init.attrs.src).to.equal(urls.viewerInit).and.to.match(/\/assets\/viewer\/[0-9a-f]{16}\/init\.js$/);
    for (const s of [mirador, init]) expect(text(s)).to.equal('');

    const cfg = JSON.parse(text(cfgEl)) as { representationId: string; kind: string; mirador: Record<string, Record<string, unknown> & unknown[]> };
    expect(cfg.representationId).to.equal('rep-1');
    const m = cfg.mirador as unknown as {
      id: string; language: string; windows: { manifestId: string; thumbnailNavigationPosition: string }[];
      window: Record<string, unknown>; workspace: Record<string, unknown>; workspaceControlPanel: { enabled: boolean };
    };
    expect(m.id).to.equal(MIRADOR_ELEMENT_ID);
    expect(m.language).to.equal('en');
    expect(m.windows).to.deep.equal([{ manifestId: base.manifestUrl, thumbnailNavigationPosition: 'far-bottom' }]);
    expect(m.workspaceControlPanel.enabled).to.equal(false);
    expect(m.window).to.include({ allowClose: false, allowMaximize: false, sideBarOpen: true });
    expect(m.workspace).to.include({ allowNewWindows: false, isWorkspaceAddVisible: false });

    const d = cspDirectives(csp);
    expect(d.get('default-src')).to.deep.equal(["'none'"]);
    expect(d.get('script-src')).to.include("'self'").and.to.include('https://colophon.example.org');
    expect(d.get('script-src')).to.not.include("'unsafe-inline'").and.to.not.include("'unsafe-eval'");
    expect(d.get('style-src')).to.include("'unsafe-inline'");
    expect(d.get('img-src')).to.include.members(["'self'", 'data:', 'blob:', 'https://colophon.example.org']);
    expect(d.get('connect-src')).to.include('https://colophon.example.org');
    expect(d.get('object-src')).to.deep.equal(["'none'"]);
    expect(d.get('base-uri')).to.deep.equal(["'none'"]);
  });

  it('a single image gets no thumbnail strip; allowOrigins reach img-src and connect-src', function () {
    const { html, csp } = renderViewerPage({ ...base, pageCount: 1, allowOrigins: ['https://images.example.net/iiif/', 'javascript:alert(1)'] });
    const cfgText = text(all(parse(html), 'script')[0] as El);
    expect((JSON.parse(cfgText) as { mirador: { windows: { thumbnailNavigationPosition: string }[] } }).mirador.windows[0]?.thumbnailNavigationPosition).to.equal('off');
    const d = cspDirectives(csp);
    expect(d.get('img-src')).to.include('https://images.example.net');
    expect(d.get('connect-src')).to.include('https://images.example.net');
    expect(csp).to.not.contain('javascript');
  });

  it('escapes a hostile title and manifest URL in markup and in the JSON configuration', function () {
    const title = `</script><script>alert(1)</script> "Q" & 'A' <b>x</b> \u2028`;
    const manifestUrl = `${BASE}/iiif/presentation/3/a"b/manifest?x=</script><!--&y=1`;
    const { html } = renderViewerPage({ ...base, title, manifestUrl, repositoryName: '<i>R&D</i>' });
    expect(html).to.not.contain('<script>alert');
    expect(html).to.not.contain('<b>x');
    const doc = parse(html);
    expect(text(one(doc, 'title'))).to.equal(`${title} · Viewer · <i>R&D</i>`);
    const scripts = all(doc, 'script');
    expect(scripts).to.have.length(3);
    const cfg = JSON.parse(text(scripts[0] as El)) as { mirador: { windows: { manifestId: string }[] } };
    // URL parsing normalises the quote; what matters is that nothing broke out of the element.
    expect(cfg.mirador.windows[0]?.manifestId).to.equal(new URL(manifestUrl).href);
    expect(all(one(doc, 'nav'), 'a')[1]?.attrs.href).to.equal(new URL(manifestUrl).href);
  });

  it('drops links that are not http(s) or same-origin paths', function () {
    const { html } = renderViewerPage({ ...base, kind: 'pdf', landingUrl: 'javascript:alert(1)', pdfUrl: 'data:application/pdf;base64,AAAA' });
    const doc = parse(html);
    expect(html).to.not.contain('javascript:');
    expect(html).to.not.contain('data:application');
    expect(all(doc, 'object')).to.have.length(0);
    expect(text(one(doc, 'main'))).to.contain('No digital copy is available yet.');
  });

  it('pdf: embeds the PDF with a download link, runs no script, and allows only its own style by hash', function () {
    const pdfUrl = `${BASE}/iiif/content/f-9`;
    const { html, csp } = renderViewerPage({ ...base, kind: 'pdf', pdfUrl });
    const doc = parse(html);
    const obj = one(doc, 'object');
    expect(obj.attrs).to.include({ data: pdfUrl, type: 'application/pdf' });
    expect(obj.attrs['aria-label']).to.contain('Atlas of the Rhine');
    const downloads = all(doc, 'a').filter((a) => a.attrs.href === pdfUrl);
    expect(downloads.length).to.be.at.least(2);
    for (const a of downloads) expect(a.attrs).to.have.property('download');
    expect(all(doc, 'script')).to.have.length(0);
    const d = cspDirectives(csp);
    expect(d.get('script-src')).to.deep.equal(["'none'"]);
    expect(d.get('object-src')).to.deep.equal(['https://colophon.example.org']);
    const style = text(one(doc, 'style'));
    expect(d.get('style-src')).to.deep.equal([`'sha256-${createHash('sha256').update(style).digest('base64')}'`]);
    // Relative URLs are covered by 'self'.
    const rel = cspDirectives(renderViewerPage({ ...base, kind: 'pdf', pdfUrl: '/iiif/content/f-9' }).csp);
    expect(rel.get('object-src')).to.deep.equal(["'self'"]);
  });

  it('av: <audio>/<video controls> with typed sources, captions and download links; media-src allows them', function () {
    const media = [
      { url: `${BASE}/iiif/content/a-1`, mimeType: 'audio/mpeg', kind: 'audio' as const, label: 'Side A' },
      { url: 'https://media.example.net/v.mp4', mimeType: 'video/mp4', kind: 'video' as const, label: 'Reel <1>' },
    ];
    const { html, csp } = renderViewerPage({ ...base, kind: 'av', media });
    const doc = parse(html);
    const audio = one(doc, 'audio');
    const video = one(doc, 'video');
    expect(audio.attrs).to.have.property('controls');
    expect(video.attrs).to.have.property('controls');
    expect(one(audio, 'source').attrs).to.deep.equal({ src: media[0]?.url, type: 'audio/mpeg' });
    expect(one(video, 'source').attrs).to.deep.equal({ src: media[1]?.url, type: 'video/mp4' });
    expect(all(doc, 'figcaption').map(text).map((t) => t.split(' · ')[0])).to.deep.equal(['Side A', 'Reel <1>']);
    expect(all(doc, 'script')).to.have.length(0);
    expect(cspDirectives(csp).get('media-src')).to.deep.equal(['https://colophon.example.org', 'https://media.example.net']);
  });

  it('remote: links to the holding repository and its manifest, no viewer', function () {
    const { html } = renderViewerPage({ ...base, kind: 'remote', remoteUrl: 'https://dspace.example.edu/handle/1/2', manifestUrl: 'https://dspace.example.edu/iiif/1/2/manifest' });
    const doc = parse(html);
    const hrefs = all(one(doc, 'main'), 'a').map((a) => a.attrs.href);
    expect(hrefs).to.deep.equal(['https://dspace.example.edu/handle/1/2', 'https://dspace.example.edu/iiif/1/2/manifest']);
    expect(all(doc, 'script')).to.have.length(0);
  });

  it('denied: says why, links back to the record, and does not link the manifest', function () {
    const { html } = renderViewerPage({ ...base, kind: 'denied', deniedNote: 'Reading room only <ask staff>.' });
    const doc = parse(html);
    expect(text(one(doc, 'h2'))).to.equal('Access restricted');
    expect(text(one(doc, 'main'))).to.contain('Reading room only <ask staff>.');
    expect(all(doc, 'a').map((a) => a.attrs.href)).to.not.include(base.manifestUrl);
    expect(all(doc, 'link').map((l) => l.attrs.rel)).to.deep.equal(['icon']);
    expect(all(doc, 'script')).to.have.length(0);
  });

  it('download and empty pages', function () {
    const { html } = renderViewerPage({
      ...base, kind: 'download',
      downloads: [{ url: `${BASE}/iiif/content/e-1`, label: 'Book.epub', mimeType: 'application/epub+zip', sizeBytes: 3_500_000 }],
    });
    const li = one(one(parse(html), 'main'), 'li');
    expect(text(li)).to.contain('Book.epub (application/epub+zip, 3.3 MB)');
    expect(text(one(parse(renderViewerPage({ ...base, kind: 'empty' }).html), 'main'))).to.contain('No digital copy');
  });

  it('speaks German or French when asked, and tells Mirador; unknown languages fall back to English', function () {
    const de = parse(renderViewerPage({ ...base, lang: 'de-AT' }).html);
    expect(one(de, 'html').attrs.lang).to.equal('de');
    expect(all(one(de, 'nav'), 'a').map(text)).to.deep.equal(['Über dieses Objekt', 'IIIF-Manifest']);
    const miradorLang = (lang: string): string =>
      (JSON.parse(text(all(parse(renderViewerPage({ ...base, lang }).html), 'script')[0] as El)) as { mirador: { language: string } }).mirador.language;
    expect(miradorLang('de-AT')).to.equal('de');
    expect(miradorLang('pt-BR')).to.equal('pt-BR');
    expect(miradorLang('fr')).to.equal('fr');
    expect(miradorLang('xx')).to.equal('en');
    expect(one(parse(renderViewerPage({ ...base, lang: 'xx' }).html), 'html').attrs.lang).to.equal('en');
    expect(text(one(parse(renderViewerPage({ ...base, kind: 'denied', lang: 'fr' }).html), 'h2'))).to.equal('Accès restreint');
  });
});
