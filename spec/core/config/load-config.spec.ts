import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../../core/config';

function file(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'colophon-config-'));
  const p = join(dir, 'colophon.json');
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

function error(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('defaults: SQLite in the data dir, base URL from host and port', () => {
    const c = loadConfig({ env: {}, overrides: { dataDir: '/tmp/colophon-x' } });
    expect(c.database.url).to.equal('sqlite:/tmp/colophon-x/colophon.sqlite');
    expect(c.server.baseUrl).to.equal('http://127.0.0.1:8080');
    expect(c.server.port).to.equal(8080);
    expect(c.jobs.enabled).to.equal(true);
  });

  it('layers: file over defaults, environment over file, overrides over environment', () => {
    const f = file({ server: { port: 9000, baseUrl: 'https://from-file.example.org/' }, repository: { name: 'From file' } });
    const c = loadConfig({
      file: f,
      env: { COLOPHON_SERVER__PORT: '9100', COLOPHON_REPOSITORY__NAME: 'From env', COLOPHON_CORS__ORIGINS: 'https://a.example, https://b.example' },
      overrides: { repository: { name: 'From flags' } },
    });
    expect(c.server.port).to.equal(9100);
    expect(c.server.baseUrl, 'trailing slash trimmed').to.equal('https://from-file.example.org');
    expect(c.repository.name).to.equal('From flags');
    expect(c.cors.origins).to.deep.equal(['https://a.example', 'https://b.example']);
  });

  it('COLOPHON_CONFIG names the file; JSON env values for records', () => {
    const f = file({ log: { level: 'debug' } });
    const c = loadConfig({ env: { COLOPHON_CONFIG: f, COLOPHON_PLUGINS__SETTINGS: '{"inventory":{"homePageSize":5}}' } });
    expect(c.log.level).to.equal('debug');
    expect(c.plugins.settings).to.deep.equal({ inventory: { homePageSize: 5 } });
  });

  it('a bad value names the key and its source', () => {
    expect(error(() => loadConfig({ env: { COLOPHON_SERVER__PORT: 'eighty' } })).message)
      .to.match(/^config server\.port \(from COLOPHON_SERVER__PORT\): /);
    const f = file({ server: { port: 70000 } });
    expect(error(() => loadConfig({ file: f, env: {} })).message).to.match(new RegExp(`^config server\\.port \\(from ${f}\\): `));
    expect(error(() => loadConfig({ env: {}, overrides: { server: { baseUrl: 'ftp://x' } } })).message).to.match(/^config server\.baseUrl/);
    expect(error(() => loadConfig({ env: { COLOPHON_LOG__LEVEL: 'loud' } })).message).to.match(/^config log\.level/);
  });

  it('an unknown key is refused, naming it', () => {
    const f = file({ server: { prot: 1 } });
    expect(error(() => loadConfig({ file: f, env: {} })).message).to.match(/^config server\.prot \(from .*\): /);
    expect(error(() => loadConfig({ env: { COLOPHON_SERVR__PORT: '1' } })).message).to.match(/^config servr \(from COLOPHON_SERVR__PORT\)/);
  });

  it('secrets only from the environment', () => {
    const f = file({ secrets: { signingKey: 'abcdefghijklmnopqrstuvwxyz' } });
    expect(error(() => loadConfig({ file: f, env: {} })).message).to.contain('secrets.signingKey must not be in a config file')
      .and.contain('COLOPHON_SECRETS__SIGNING_KEY');
    const g = file({ database: { url: 'mysql://root:hunter2@db:3306/colophon' } });
    expect(error(() => loadConfig({ file: g, env: {} })).message).to.contain('database.url carries a password');
    const c = loadConfig({ env: { COLOPHON_SECRETS__DATABASE_PASSWORD: '{not json}', COLOPHON_DATABASE__URL: 'mysql://root@db/x' } });
    expect(c.secrets.databasePassword, 'secrets are taken verbatim').to.equal('{not json}');
  });

  it('an unreadable or malformed file names the file', () => {
    expect(error(() => loadConfig({ file: '/nonexistent/colophon.json', env: {} })).message).to.match(/^config file \/nonexistent\/colophon\.json: cannot read it/);
    expect(error(() => loadConfig({ file: file('{ nope'), env: {} })).message).to.match(/not valid JSON/);
    expect(error(() => loadConfig({ file: file('[1]'), env: {} })).message).to.match(/not a JSON object/);
  });

  it('booleans from the environment', () => {
    expect(loadConfig({ env: { COLOPHON_JOBS__ENABLED: 'false' } }).jobs.enabled).to.equal(false);
    expect(loadConfig({ env: { COLOPHON_JOBS__ENABLED: '1' } }).jobs.enabled).to.equal(true);
    expect(error(() => loadConfig({ env: { COLOPHON_JOBS__ENABLED: 'perhaps' } })).message).to.match(/^config jobs\.enabled/);
  });
});
