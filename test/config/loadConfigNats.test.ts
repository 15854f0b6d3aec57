import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ConfigError } from '../../src/config/ConfigError.js';
import { loadConfig } from '../../src/config/loadConfig.js';
import { agentDefaults as defaults } from '../../src/cli/agentCommandInternals.js';

describe('loadConfig (the NATS sink\'s keys)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haste-config-nats-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should read the same keys from a JSON file, the NATS_* environment and flags', async () => {
    const file = join(dir, 'haste.json');
    await writeFile(file, JSON.stringify({ nats: ['nats://a:4222', 'nats://b:4222'], bucket: 'frames', replicas: 3, bucketMaxBytes: 1000000, natsCreds: 'lab.creds' }));
    const { config } = loadConfig({ file, env: { NATS_USER: 'lab', NATS_PASSWORD: 'pw' }, flags: { bucket: 'other', replicas: '1' }, defaults });
    expect(config.nats).to.deep.equal(['nats://a:4222', 'nats://b:4222']);
    expect(config.bucket).to.equal('other');
    expect(config.replicas).to.equal(1);
    expect(config.bucketMaxBytes).to.equal(1000000);
    expect(config.natsCreds).to.equal(join(dir, 'lab.creds'));
    expect(config.natsUser).to.equal('lab');
    expect(config.natsPassword).to.equal('pw');
    const fromEnv = loadConfig({ env: { NATS_URL: 'nats://x:1,nats://y:2', NATS_CREDS: '/etc/lab.creds' }, flags: {}, defaults }).config;
    expect(fromEnv.nats).to.deep.equal(['nats://x:1', 'nats://y:2']);
    expect(fromEnv.natsCreds).to.equal('/etc/lab.creds');
  });

  it('should let the higher source win between natsPassword and natsPasswordFile, and reject both in one file', async () => {
    const file = join(dir, 'haste.json');
    await writeFile(file, JSON.stringify({ natsPasswordFile: 'pw.txt' }));
    const { config } = loadConfig({ file, env: { NATS_PASSWORD: 'from-env' }, flags: {}, defaults });
    expect(config.natsPassword).to.equal('from-env');
    expect(config.natsPasswordFile).to.equal(undefined);
    await writeFile(file, JSON.stringify({ natsPasswordFile: 'pw.txt', natsPassword: 'secret-in-file' }));
    expect(() => loadConfig({ file, env: {}, flags: {}, defaults })).to.throw(ConfigError, /set only one of `natsPassword` and `natsPasswordFile`/);
  });

  it('should reject bad values with the rule, never echoing a NATS password', async () => {
    const file = join(dir, 'haste.json');
    await writeFile(file, JSON.stringify({ replicas: 7, bucketMaxBytes: 0, natsPassword: 12345, nats: 'nats://a:1' }));
    let error: ConfigError | undefined;
    try {
      loadConfig({ file, env: {}, flags: {}, defaults });
    } catch (caught) {
      error = caught as ConfigError;
    }
    expect(error?.errors).to.deep.equal([
      `config file ${file}: \`replicas\` must be an integer from 1 to 5, got 7`,
      `config file ${file}: \`bucketMaxBytes\` must be an integer >= 1, got 0`,
      `config file ${file}: \`natsPassword\` must be a non-empty string, got a number`,
      `config file ${file}: \`nats\` must be a non-empty array of non-empty strings, got "nats://a:1"`,
    ]);
  });
});
