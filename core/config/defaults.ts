/** Built-in defaults: the first layer of configuration, before the file and the environment. */
export function defaultConfig(): Record<string, unknown> {
  return {
    dataDir: './data',
    server: {
      host: '127.0.0.1',
      port: 8080,
      baseUrl: '',
      trustProxy: false,
      shutdownTimeoutMs: 10000,
      bodyLimitBytes: 10 * 1024 * 1024,
    },
    database: { url: '', poolSize: 10, logging: false },
    log: { level: 'info' },
    cors: { origins: ['*'] },
    jobs: { enabled: true, retainDays: 30 },
    plugins: { syncIntervalMs: 5000, settings: {} },
    repository: { name: 'Colophon', adminEmail: 'admin@example.org' },
    secrets: {},
  };
}
