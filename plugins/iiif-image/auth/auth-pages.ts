import { randomBytes } from 'node:crypto';
import type Koa from 'koa';

/** Escape text for HTML element content and double-quoted attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON for a <script> element: no "</script>", "<!--" or line separators can end or bend it. */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * Headers of the server-rendered auth pages: never cached, scripts only with this response's
 * nonce, no referrer leaking the origin parameter. `frameable` is for the token service, which
 * viewers on any origin open in an iframe; the login page must never be framed (clickjacking).
 */
export function pageHeaders(ctx: Koa.Context, opts: { frameable: boolean }): string {
  const nonce = randomBytes(16).toString('base64');
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('X-Content-Type-Options', 'nosniff');
  const csp = [`default-src 'none'`, `script-src 'nonce-${nonce}'`, `style-src 'unsafe-inline'`, `form-action 'self'`, `base-uri 'none'`];
  if (!opts.frameable) {
    csp.push(`frame-ancestors 'none'`);
    ctx.set('X-Frame-Options', 'DENY');
  }
  ctx.set('Content-Security-Policy', csp.join('; '));
  ctx.type = 'text/html; charset=utf-8';
  return nonce;
}

const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem;color:#222}' +
  'label{display:block;margin:.8rem 0 .2rem}input[type=text],input[type=password]{width:100%;padding:.4rem;box-sizing:border-box}' +
  'button{margin-top:1rem;padding:.5rem 1.2rem}.error{color:#a00;background:#fee;padding:.5rem;border-radius:4px}.note{color:#555}';

function page(lang: string, title: string, body: string, script?: { nonce: string; code: string }): string {
  const js = script ? `<script nonce="${esc(script.nonce)}">${script.code}</script>` : '';
  return (
    `<!DOCTYPE html>\n<html lang="${esc(lang)}"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">` +
    `<title>${esc(title)}</title><style>${STYLE}</style></head>\n<body>\n${body}\n${js}</body></html>\n`
  );
}

/** The access service's sign-in form. It posts to its own URL (the `origin` query parameter stays). */
export function loginPage(o: {
  lang: string;
  repositoryName: string;
  heading: string;
  note: string;
  confirmLabel: string;
  csrf: string;
  origin: string | null;
  username?: string;
  error?: string;
}): string {
  const error = o.error ? `<p class="error" role="alert">${esc(o.error)}</p>\n` : '';
  const origin = o.origin ? `<input type="hidden" name="origin" value="${esc(o.origin)}">\n` : '';
  return page(
    o.lang,
    `${o.heading} – ${o.repositoryName}`,
    `<h1>${esc(o.heading)}</h1>\n<p class="note">${esc(o.note)}</p>\n${error}` +
      `<form method="post" action="" autocomplete="on">\n` +
      `<input type="hidden" name="csrf" value="${esc(o.csrf)}">\n${origin}` +
      `<label for="username">Username</label><input type="text" id="username" name="username" autocomplete="username" required maxlength="255" value="${esc(o.username ?? '')}">\n` +
      `<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required maxlength="1024">\n` +
      `<button type="submit">${esc(o.confirmLabel)}</button>\n</form>`,
  );
}

/**
 * The end of the access service: the spec (§3) has its last page try to close the tab, which is
 * what the viewer waits for. The text stays for browsers that refuse to close it.
 */
export function closingPage(o: { lang: string; nonce: string; title: string; message: string }): string {
  return page(o.lang, o.title, `<h1>${esc(o.title)}</h1>\n<p>${esc(o.message)}</p>`, { nonce: o.nonce, code: 'window.close();' });
}

/** A plain message page (logout, sign-in not offered, too many attempts). */
export function messagePage(o: { lang: string; title: string; message: string }): string {
  return page(o.lang, o.title, `<h1>${esc(o.title)}</h1>\n<p>${esc(o.message)}</p>`);
}

/**
 * The token service's answer (§4.3): a page whose script posts the message to the viewer frame's
 * parent, addressed to the viewer's origin only, so no other page can read it.
 */
export function tokenMessagePage(o: { nonce: string; message: Record<string, unknown>; targetOrigin: string }): string {
  return page('en', 'IIIF access token', '', {
    nonce: o.nonce,
    code: `window.parent.postMessage(${scriptJson(o.message)}, ${scriptJson(o.targetOrigin)});`,
  });
}
