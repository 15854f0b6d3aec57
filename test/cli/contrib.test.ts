import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { agentDefaults } from '../../src/cli/agentCommandInternals.js';
import { loadConfig } from '../../src/config/loadConfig.js';
import { fakeCli, isolateExitCode } from './cliHarness.js';

const examplePath = fileURLToPath(new URL('../../contrib/haste-agent.example.json', import.meta.url));
const unitPath = fileURLToPath(new URL('../../contrib/haste-agent.service', import.meta.url));

/** The unit's `Key=value` settings, comments left out, later ones winning. */
async function readUnit(): Promise<Map<string, string[]>> {
  const settings = new Map<string, string[]>();
  for (const line of (await readFile(unitPath, 'utf8')).split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (match) settings.set(match[1]!, [...(settings.get(match[1]!) ?? []), match[2]!]);
  }
  return settings;
}

describe('contrib', () => {
  isolateExitCode();

  it('should ship an example config that loadConfig accepts without an error', () => {
    const { config, errors } = loadConfig({ file: examplePath, env: {}, flags: {}, defaults: agentDefaults, strict: false });
    expect(errors).to.deep.equal([]);
    expect(config.host).to.be.a('string');
    expect(config.path).to.equal('/data/instrument');
    expect(config).to.not.have.property('password');
  });

  it('should run the unit\'s ExecStart as a valid command line up to the missing folder', async () => {
    const unit = await readUnit();
    const [binary, ...args] = unit.get('ExecStart')![0]!.split(' ');
    expect(binary).to.match(/\/haste-agent$/);
    // Same flags, with the example standing in for /etc/haste-agent/haste-agent.json.
    const local = args.map((arg) => (arg === '/etc/haste-agent/haste-agent.json' ? examplePath : arg));
    expect(local).to.include(examplePath);
    const cli = fakeCli({ env: { HASTE_PASSWORD: 'from-the-environment-file' } });
    await cli.run(...local);
    // Flags, config and password were all accepted: the first thing missing on this machine is the instrument's folder.
    // The example logs JSON for journald, so the error is one JSON line too.
    expect(cli.stderr.text.endsWith('\n') && cli.stderr.text.split('\n').length).to.equal(2);
    expect(JSON.parse(cli.stderr.text)).to.include({ type: 'error', message: '/data/instrument is not a folder', exitCode: 2 });
    expect(process.exitCode).to.equal(2);
  });

  it('should stop the agent with SIGINT and give it longer than its grace period', async () => {
    const unit = await readUnit();
    const example = JSON.parse(await readFile(examplePath, 'utf8')) as { grace?: number };
    expect(unit.get('KillSignal')).to.deep.equal(['SIGINT']);
    expect(Number(unit.get('TimeoutStopSec')![0])).to.be.above(example.grace ?? agentDefaults.grace);
    expect(unit.get('Restart')).to.deep.equal(['on-failure']);
    expect(unit.get('RestartPreventExitStatus')).to.deep.equal(['2']);
  });

  it('should set an environment that node starts with, as systemd passes it', async () => {
    const unit = await readUnit();
    // systemd's form for a value with spaces: the whole assignment in double quotes.
    const environment = Object.fromEntries(
      unit.get('Environment')!.map((setting) => /^"?([A-Z_]+)=(.*?)"?$/.exec(setting)!.slice(1, 3) as [string, string]),
    );
    expect(environment).to.deep.equal({ NODE_OPTIONS: '--max-old-space-size=256 --max-semi-space-size=2', MALLOC_ARENA_MAX: '2' });
    const child = spawnSync(process.execPath, ['-e', 'const v8 = require("node:v8"); console.log(v8.getHeapStatistics().heap_size_limit)'], {
      env: { ...process.env, ...environment },
      encoding: 'utf8',
    });
    expect(child.stderr).to.equal('');
    expect(child.status).to.equal(0);
    // The ceiling took: 256 MB of old space plus the young generation's share.
    expect(Number(child.stdout) / 2 ** 20).to.be.within(256, 300);
  });

  it('should keep state in the StateDirectory, secrets in an EnvironmentFile, and run confined as its own user', async () => {
    const unit = await readUnit();
    expect(unit.get('StateDirectory')).to.deep.equal(['haste-agent']);
    expect(unit.get('ExecStart')![0]).to.include('--state-dir /var/lib/haste-agent');
    expect(unit.get('EnvironmentFile')).to.have.length(1);
    expect(unit.get('User')).to.deep.equal(['haste-agent']);
    expect(unit.get('ProtectSystem')).to.deep.equal(['strict']);
    expect(unit.get('ReadWritePaths')).to.deep.equal(['/var/lib/haste-agent']);
    expect(unit.get('NoNewPrivileges')).to.deep.equal(['yes']);
    // V8 needs writable executable memory; this setting would make node crash at start.
    expect(unit.has('MemoryDenyWriteExecute')).to.equal(false);
    const text = await readFile(unitPath, 'utf8');
    expect(text).to.not.match(/^Environment=.*PASSWORD/m);
    expect(text).to.not.match(/--password\b/);
  });
});
