/**
 * The viewer page's only script of our own, served as a static asset (/assets/viewer/{hash}/init.js)
 * so that the page's Content-Security-Policy can forbid inline scripts. It reads the page's
 * configuration from a `<script type="application/json">` element (data, not code) and starts
 * Mirador when the page asks for it.
 *
 * Written as plain ES5 in a string: it runs in every browser as is, and tsc copies nothing but
 * .ts files into dist/.
 */
export const VIEWER_INIT_SCRIPT = `(function () {
  'use strict';
  var cfgEl = document.getElementById('colophon-viewer-config');
  if (!cfgEl) return;
  var config;
  try {
    config = JSON.parse(cfgEl.textContent || '');
  } catch (e) {
    return;
  }
  if (!config || !config.mirador) return;
  var target = document.getElementById(config.mirador.id);
  var failure = document.getElementById('colophon-viewer-failure');
  function fail(err) {
    if (failure) failure.hidden = false;
    if (target) target.hidden = true;
    if (err && window.console) window.console.error('Colophon viewer: Mirador did not start', err);
  }
  if (!target || !window.Mirador || typeof window.Mirador.viewer !== 'function') {
    fail(new Error('Mirador is not loaded'));
    return;
  }
  try {
    window.colophonViewer = window.Mirador.viewer(config.mirador);
  } catch (err) {
    fail(err);
  }
})();
`;
