import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { ConfigError, configVariableNames, loadConfig } from '../../src/config/env.js';

describe('loadConfig', () => {
  it('runs embedded with anonymous reads, in-process queue and pub/sub when nothing is set', () => {
    const config = loadConfig({}, { availableCores: 2 });
    expect(config).toMatchObject({
      database: { embedded: true, timescaledb: 'auto', migrateOnStart: true },
      auth: { anonymousRead: true },
      queueMode: 'in-process',
      pubsubMode: 'in-process',
      http: { port: 4000, host: '127.0.0.1' },
      worker: { concurrency: 2 },
    });
  });

  it('uses the services shape when DATABASE_URL and REDIS_URL are set; anonymous reads off by default', () => {
    const config = loadConfig({ DATABASE_URL: 'postgresql://u:p@db:5432/q', REDIS_URL: 'redis://r:6379', WORKER_CONCURRENCY: '6' });
    expect(config).toMatchObject({
      database: { embedded: false },
      auth: { anonymousRead: false },
      queueMode: 'bullmq',
      pubsubMode: 'redis',
      worker: { concurrency: 6 },
    });
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: ' ' }).database.embedded).toBe(true);
  });

  it('fails fast listing every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', REDIS_URL: 'http://r', LOG_LEVEL: 'loud', AUTH_ANONYMOUS_READ: 'maybe', DATABASE_RETENTION: 'forever' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(
      ['AUTH_ANONYMOUS_READ', 'DATABASE_RETENTION', 'DATABASE_URL', 'LOG_LEVEL', 'PORT', 'REDIS_URL'].sort(),
    );
    expect((error as ConfigError).message).toContain('PORT: expected a whole number (got "eighty")');
  });
});

describe('docker-compose.yml', () => {
  it('sets only variables the configuration accepts, with values it accepts', async () => {
    // merge: resolve YAML merge keys (<<: *app-env) as docker compose does.
    const compose = parse(await readFile(join(import.meta.dirname, '..', '..', 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { build?: unknown; environment?: Record<string, string> }>;
    };
    const appServices = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);
    expect(appServices.map(([name]) => name).sort()).toEqual(['api', 'worker']);
    for (const [name, service] of appServices) {
      const env = service.environment ?? {};
      const unknown = Object.keys(env).filter((k) => !configVariableNames.includes(k));
      expect({ service: name, unknown }).toEqual({ service: name, unknown: [] });
      const config = loadConfig(Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])));
      expect(config.database.embedded).toBe(false);
      expect(config.queueMode).toBe('bullmq');
    }
  });
});
