import { Command, Option } from 'commander';
import { createApp, openDatabase, type ColophonApp, type CreateAppOptions } from '../app';
import { apiKeyView } from '../auth/api-keys';
import { hashPassword } from '../auth/passwords';
import { ROLE_IDS } from '../auth/roles';
import { ConfigError, loadConfig, type ColophonConfig, type ConfigInput } from '../config';
import { loadDemoContent } from '../demo/demo-content';
import { migrate, pendingMigrations } from '../db/migrate';
import { User } from '../db/entities/user.entity';
import { ColophonError } from '../errors';
import { createLogger } from '../logger';
import { PluginBootError } from '../plugin/plugin-errors';
import { listen } from '../server';
import { CORE_VERSION } from '../version';

interface CommonOpts {
  config?: string;
  dataDir?: string;
  databaseUrl?: string;
  baseUrl?: string;
  port?: string;
  host?: string;
  logLevel?: string;
}

function common(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'JSON config file (default: $COLOPHON_CONFIG)')
    .option('--data-dir <dir>', 'data directory (SQLite database, local storage)')
    .option('--database-url <url>', 'sqlite:PATH or mysql://user@host:port/db')
    .option('--base-url <url>', 'public base URL used in every absolute URL')
    .option('--port <port>', 'HTTP port')
    .option('--host <host>', 'HTTP bind address')
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']));
}

function configFrom(o: CommonOpts, quiet: boolean): ColophonConfig {
  const overrides: ConfigInput = {};
  const server: Record<string, unknown> = {};
  if (o.dataDir) overrides.dataDir = o.dataDir;
  if (o.databaseUrl) overrides.database = { url: o.databaseUrl };
  if (o.baseUrl) server.baseUrl = o.baseUrl;
  if (o.port) server.port = o.port;
  if (o.host) server.host = o.host;
  if (Object.keys(server).length) overrides.server = server;
  if (o.logLevel) overrides.log = { level: o.logLevel };
  else if (quiet) overrides.log = { level: 'warn' };
  return loadConfig({ file: o.config, overrides });
}

/** Boot the app for a one-off command: no jobs, logs to stderr so stdout carries only the answer. */
async function withApp<T>(o: CommonOpts, fn: (app: ColophonApp) => Promise<T>, extra: CreateAppOptions = {}): Promise<T> {
  const config = configFrom(o, true);
  const app = await createApp(config, { jobs: false, logger: createLogger(config.log.level, { stderr: true }), ...extra });
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

const print = (v: unknown): void => {
  process.stdout.write(typeof v === 'string' ? `${v}\n` : `${JSON.stringify(v, null, 2)}\n`);
};

/** Build the `colophon` command line. */
export function buildCli(): Command {
  const program = new Command('colophon').version(CORE_VERSION).description('Colophon: OAI-PMH and IIIF publishing for digital collections');
  program.showHelpAfterError();

  common(program.command('serve').description('serve HTTP (migrates first)'))
    .option('--demo', 'load the demo content first if it is missing')
    .action(async (o: CommonOpts & { demo?: boolean }) => {
      const config = configFrom(o, false);
      const app = await createApp(config);
      if (o.demo) {
        const n = await loadDemoContent(app);
        app.logger.info({ added: n }, 'demo content loaded');
        // Thumbnails of the demo pages now, not at the next sweep of the thumbnail job.
        if (n && app.scheduler.list().some((j) => j.id === 'inventory.thumbnails')) {
          app.scheduler.runNow('inventory.thumbnails').catch((err: unknown) => app.logger.warn({ err }, 'demo thumbnails'));
        }
      }
      const srv = await listen(app);
      app.logger.info({ url: config.server.baseUrl, port: srv.port, database: app.ds.options.type }, 'Colophon is serving');
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        app.logger.info({ signal }, 'shutting down');
        srv.shutdown().then(
          () => process.exit(0),
          (err: unknown) => {
            app.logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });

  common(program.command('migrate').description('apply pending database migrations'))
    .option('--check', 'only list pending migrations (exit 3 if any)')
    .action(async (o: CommonOpts & { check?: boolean }) => {
      const config = configFrom(o, true);
      // Only the DataSource: booting plugins would need the very tables being migrated.
      const { ds } = await openDatabase(config, { logger: createLogger(config.log.level, { stderr: true }) });
      try {
        if (o.check) {
          const pending = await pendingMigrations(ds);
          print(pending.length ? pending.join('\n') : 'no pending migrations');
          if (pending.length) process.exitCode = 3;
          return;
        }
        const done = await migrate(ds);
        print(done.length ? done.map((m) => `applied ${m.name}`).join('\n') : 'database is up to date');
      } finally {
        await ds.destroy();
      }
    });

  const apikey = program.command('apikey').description('manage API keys');
  common(apikey.command('create').description('create an API key and print only the key'))
    .requiredOption('--role <role...>', `role(s): ${ROLE_IDS.join(', ')}`)
    .option('--name <name>', 'label for the key')
    .action(async (o: CommonOpts & { role: string[]; name?: string }) => {
      await withApp(o, async (app) => {
        const { key } = await app.apiKeys.create({ roles: o.role, name: o.name });
        print(key);
      });
    });
  common(apikey.command('list').description('list API keys (never their secrets)')).action(async (o: CommonOpts) => {
    await withApp(o, async (app) => print((await app.apiKeys.list()).map(apiKeyView)));
  });
  common(apikey.command('revoke <idOrPrefix>').description('revoke an API key')).action(async (id: string, o: CommonOpts) => {
    await withApp(o, async (app) => print(apiKeyView(await app.apiKeys.revoke(id))));
  });

  const plugins = program.command('plugins').description('list, enable, disable and configure plugins');
  common(plugins.command('list').description('installed plugins and their state')).action(async (o: CommonOpts) => {
    await withApp(o, async (app) =>
      print(app.host.list().map((p) => `${p.enabled ? 'enabled ' : 'disabled'}  ${String(p.id)}@${String(p.version)}  ${String(p.description)}`).join('\n')),
    );
  });
  common(plugins.command('enable <id>').description('enable a plugin (running servers pick it up)')).action(async (id: string, o: CommonOpts) => {
    await withApp(o, async (app) => print(await app.host.enable(id)));
  });
  common(plugins.command('disable <id>').description('disable a plugin (running servers pick it up)')).action(async (id: string, o: CommonOpts) => {
    await withApp(o, async (app) => print(await app.host.disable(id)));
  });
  common(plugins.command('config <id> [settings...]').description('show, or set key=value (JSON values allowed; key= removes)'))
    .option('--replace', 'replace all persisted settings instead of merging')
    .action(async (id: string, settings: string[], o: CommonOpts & { replace?: boolean }) => {
      await withApp(o, async (app) => {
        if (!settings.length) return print(app.host.get(id));
        const patch: Record<string, unknown> = {};
        for (const s of settings) {
          const eq = s.indexOf('=');
          if (eq < 1) throw new ColophonCliError(`setting "${s}": expected key=value`);
          const raw = s.slice(eq + 1);
          let value: unknown;
          if (raw === '') value = null;
          else {
            try {
              value = JSON.parse(raw);
            } catch {
              value = raw;
            }
          }
          patch[s.slice(0, eq)] = value;
        }
        print(await app.host.configure(id, patch, o.replace ? 'replace' : 'patch'));
      });
    });

  const jobs = program.command('jobs').description('scheduled jobs');
  common(jobs.command('list').description('jobs of the enabled plugins')).action(async (o: CommonOpts) => {
    await withApp(o, async (app) => print(app.scheduler.list()), { jobs: true });
  });
  common(jobs.command('run <id>').description('run a job now and wait for it')).action(async (id: string, o: CommonOpts) => {
    await withApp(o, async (app) => {
      const run = await app.scheduler.runNow(id);
      print({ id: run.id, jobId: run.jobId, status: run.status, message: run.message, outputLocation: run.outputLocation });
      if (run.status !== 'succeeded') process.exitCode = 1;
    }, { jobs: true });
  });

  const users = program.command('users').description('local users (IIIF sign-in; groups feed access rights rules)');
  common(users.command('add <username>').description('create a user; the password is read from stdin'))
    .option('--password-stdin', 'read the password from stdin (one line); without it the user has no local password')
    .option('--groups <codes>', 'user group codes, comma-separated', '')
    .option('--display-name <name>', 'display name', '')
    .option('--email <email>', 'e-mail address')
    .action(async (username: string, o: CommonOpts & { passwordStdin?: boolean; groups: string; displayName: string; email?: string }) => {
      const name = username.trim();
      if (!/^[^\s]{1,255}$/.test(name)) throw new ColophonCliError('username: 1 to 255 characters, no spaces');
      const groups = [...new Set(o.groups.split(',').map((g) => g.trim()).filter(Boolean))];
      const bad = groups.find((g) => g.length > 64);
      if (bad) throw new ColophonCliError(`group "${bad}": at most 64 characters`);
      const passwordHash = o.passwordStdin ? await hashPassword(await passwordFromStdin()) : null;
      await withApp(o, async (app) => {
        const repo = app.ds.getRepository(User);
        if (await repo.findOneBy({ username: name })) throw new ColophonCliError(`user "${name}" exists (use users passwd to set the password)`);
        const u = await repo.save(repo.create({ username: name, displayName: o.displayName, email: o.email ?? null, passwordHash, groups, roles: [], active: true }));
        print(userView(u));
      });
    });
  common(users.command('passwd <username>').description("set a user's password, read from stdin")).action(async (username: string, o: CommonOpts) => {
    const passwordHash = await hashPassword(await passwordFromStdin());
    await withApp(o, async (app) => {
      const repo = app.ds.getRepository(User);
      const u = await repo.findOneBy({ username: username.trim() });
      if (!u) throw new ColophonCliError(`no user "${username}"`);
      u.passwordHash = passwordHash;
      print(userView(await repo.save(u)));
    });
  });

  common(program.command('demo').description('load the demo content (idempotent)')).action(async (o: CommonOpts) => {
    await withApp(o, async (app) => {
      const n = await loadDemoContent(app);
      if (n && app.scheduler.list().some((j) => j.id === 'inventory.thumbnails')) await app.scheduler.runNow('inventory.thumbnails');
      print(n ? `demo content loaded: ${n} titles added` : 'demo content already present');
    });
  });
  return program;
}

class ColophonCliError extends Error {}

/** A password from stdin (a pipe or a typed line), without its line end; never from argv, where `ps` shows it. */
async function passwordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  const pw = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (pw.length < 8) throw new ColophonCliError('password: at least 8 characters expected on stdin');
  if (/[\r\n]/.test(pw)) throw new ColophonCliError('password: one line expected on stdin');
  return pw;
}

/** A user without the password hash. */
function userView(u: User): Record<string, unknown> {
  return { id: u.id, username: u.username, displayName: u.displayName, email: u.email, groups: u.groups, active: u.active, hasPassword: Boolean(u.passwordHash) };
}

/** Entry point: run the CLI; known failures print one line to stderr and exit non-zero. */
export async function main(argv = process.argv): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof PluginBootError || err instanceof ColophonCliError) {
      process.stderr.write(`colophon: ${err.message}\n`);
      process.exit(2);
    }
    if (err instanceof ColophonError) {
      process.stderr.write(`colophon: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`colophon: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  }
}
