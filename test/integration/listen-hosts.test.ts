import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startHealthServer } from '../../src/health/server.ts';
import { silentLog } from '../helpers/env.ts';

/** HEALTH_HOST and SLACK_HOST: where the health server and Slack's HTTP receiver listen (README: Configuration). */

const checks = { ready: async () => true, metrics: async () => 'brushtalk_up 1\n' };

describe('listen addresses', () => {
  it('default to all interfaces, take an address, and name the variable when empty', () => {
    const slackEnv = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' };
    expect(loadConfig({}).healthHost).toBe('0.0.0.0');
    expect(loadConfig(slackEnv).slack).toMatchObject({ host: '0.0.0.0', port: 3000 });
    expect(loadConfig({ HEALTH_HOST: '127.0.0.1' }).healthHost).toBe('127.0.0.1');
    expect(loadConfig({ ...slackEnv, SLACK_HOST: '::1', SLACK_PORT: '3100' }).slack).toMatchObject({ host: '::1', port: 3100 });
  });

  it('the health server listens where HEALTH_HOST says', async () => {
    const local = await startHealthServer(0, checks, silentLog, '127.0.0.1');
    const everywhere = await startHealthServer(0, checks, silentLog);
    try {
      expect(local.host).toBe('127.0.0.1');
      expect(everywhere.host).toBe('0.0.0.0');
      expect(await (await fetch(`http://127.0.0.1:${local.port}/metrics`)).text()).toBe('brushtalk_up 1\n');
    } finally {
      await local.close();
      await everywhere.close();
    }
  });
});
