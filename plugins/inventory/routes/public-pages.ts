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
      return `<li><span class="t">${esc(t.displayTitle)}</span>${creator ? ` — ${esc(creator)}` : ''}${date ? ` (${esc(date)})` : ''}</li>`;
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
