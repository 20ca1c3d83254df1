import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createLogger, newRef } from '../../src/log.ts';

describe('configuration', () => {
  it('has embedded defaults: ./data with the SQLite file inside', () => {
    const config = loadConfig({});
    expect(config.dataDir).toBe(path.resolve('data'));
    expect(config.databasePath).toBe(path.resolve('data/brushtalk.db'));
    expect(config.limits).toEqual({ maxBytes: 25 * 1024 * 1024, maxPixels: 40_000_000, budgetPixels: 48_000_000 });
    expect(config.jobs).toMatchObject({ leaseMs: 30_000, maxAttempts: 3, concurrency: 1 });
  });

  it('reads and coerces the environment; blank values count as unset; defaults fill gaps only', () => {
    const config = loadConfig({ DATA_DIR: '/srv/bt', MAX_INPUT_MEGAPIXELS: '12.5', JOB_MAX_ATTEMPTS: '5', LOG_LEVEL: '' }, { LOG_LEVEL: 'warn', JOB_MAX_ATTEMPTS: '9' });
    expect(config).toMatchObject({ dataDir: '/srv/bt', databasePath: '/srv/bt/brushtalk.db', logLevel: 'warn' });
    expect(config.limits.maxPixels).toBe(12_500_000);
    expect(config.jobs.maxAttempts).toBe(5);
  });

  it.each([
    [{ JOB_MAX_ATTEMPTS: 'lots' }, /JOB_MAX_ATTEMPTS .*\(got "lots"\)/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL .*\(got "loud"\)/],
    [{ WORKER_CONCURRENCY: '0' }, /WORKER_CONCURRENCY .*\(got "0"\)/],
    [{ MAX_INPUT_MEGAPIXELS: '-1' }, /MAX_INPUT_MEGAPIXELS/],
  ])('fails fast naming the variable: %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});

describe('logs', () => {
  function capture(level = 'info') {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    return { lines, log: createLogger(level, sink) };
  }

  it('redacts tokens and keys wherever they appear', () => {
    const { lines, log } = capture();
    log.info({ token: 'discord-secret', config: { apiKey: 'sk-123', botToken: 'xoxb-1' }, headers: { authorization: 'Bearer x' } }, 'starting');
    const text = JSON.stringify(lines);
    for (const secret of ['discord-secret', 'sk-123', 'xoxb-1', 'Bearer x']) expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ token: '[redacted]', config: { apiKey: '[redacted]' }, msg: 'starting' });
  });

  it('makes short readable reference ids that child loggers stamp on every line', () => {
    const ref = newRef('J');
    expect(ref).toMatch(/^J-[0-9A-HJKMNP-TV-Z]{6}$/);
    expect(new Set(Array.from({ length: 500 }, () => newRef())).size).toBe(500);
    const { lines, log } = capture();
    log.child({ ref }).warn('job failed');
    expect(lines[0]).toMatchObject({ ref, msg: 'job failed', level: 40 });
  });

  it('writes nothing below its level, and children made before the first line keep their bindings and levels', () => {
    const { lines, log } = capture('warn');
    expect(log.level).toBe('warn');
    expect([log.isLevelEnabled('info'), log.isLevelEnabled('error')]).toEqual([false, true]);
    const job = log.child({ jobId: 'J-1' });
    const verbose = log.child({ jobId: 'J-2' }, { level: 'debug' });
    log.info('starting');
    job.debug({ step: 1 }, 'details');
    expect(lines).toEqual([]);
    job.child({ attempt: 2 }).error('failed');
    verbose.debug('shown');
    log.warn({ token: 'secret' }, 'careful');
    expect(lines).toMatchObject([
      { jobId: 'J-1', attempt: 2, msg: 'failed', level: 50, app: 'brushtalk' },
      { jobId: 'J-2', msg: 'shown', level: 20 },
      { token: '[redacted]', msg: 'careful', level: 40 },
    ]);
    expect(createLogger('silent').isLevelEnabled('fatal')).toBe(false);
  });
});
