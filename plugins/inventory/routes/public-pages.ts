import type Koa from 'koa';
import type { Title } from '../../../core/db/entities/title.entity';

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** The repository's public home page: the published titles. */
export function renderHome(ctx: Koa.Context, repositoryName: string, titles: Title[], total: number): void {
  const rows = titles
    .map((t) => {
      const creator = t.dc.creator?.[0] ?? '';
      const date = t.dc.date?.[0] ?? '';
      return `<li><a class="t" href="/titles/${esc(t.id)}">${esc(t.displayTitle)}</a>${creator ? ` — ${esc(creator)}` : ''}${date ? ` (${esc(date)})` : ''}</li>`;
    })
    .join('\n');
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(repositoryName)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}.t{font-weight:600}</style>
</head><body>
<h1>${esc(repositoryName)}</h1>
<p>${total} title${total === 1 ? '' : 's'} published.</p>
<ul id="titles">
${rows}
</ul>
</body></html>`;
}

/** A title's public landing page (what OAI-PMH records point discovery users to). */
export function renderTitlePage(
  ctx: Koa.Context,
  repositoryName: string,
  title: Title,
  thumbnail: string | null,
  reps: { label: string; usageType: string; href: string; thumbnail: string | null; files: number }[],
): void {
  const rows = Object.entries(title.dc)
    .flatMap(([el, values]) => (values ?? []).map((v) => `<tr><th>${esc(el)}</th><td>${esc(v)}</td></tr>`))
    .join('\n');
  const items = reps
    .map((r) =>
      `<li>${r.thumbnail ? `<img src="${esc(r.thumbnail)}" alt="" width="120">` : ''}` +
      `<a href="${esc(r.href)}">${esc(r.label || (r.usageType === 'primary' ? 'Digital copy' : 'Derivative copy'))}</a>` +
      (r.files ? ` <span class="n">(${r.files} file${r.files === 1 ? '' : 's'})</span>` : '') +
      '</li>',
    )
    .join('\n');
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title.displayTitle)} · ${esc(repositoryName)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}th{text-align:left;padding-right:1rem;vertical-align:top;color:#555}
ul{list-style:none;padding:0}li{margin:.5rem 0}img{vertical-align:middle;margin-right:.5rem}.n{color:#777}</style>
</head><body>
<p><a href="/">${esc(repositoryName)}</a></p>
${thumbnail ? `<img src="${esc(thumbnail)}" alt="" width="200">` : ''}
<h1>${esc(title.displayTitle)}</h1>
<table>
${rows}
</table>
<h2>Access</h2>
<ul id="representations">
${items || '<li>No digital copy is available yet.</li>'}
</ul>
</body></html>`;
}
