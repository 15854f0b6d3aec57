import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { AgentConfig } from '../../src/config/AgentConfig.js';
import { ConfigError } from '../../src/config/ConfigError.js';
import { loadConfig } from '../../src/config/loadConfig.js';

const defaults: AgentConfig = {
  concurrency: 4,
  settleMs: 500,
  rescan: 30,
  mode: 'adaptive',
  cores: 1,
  uploadSlots: 2,
  reduce: true,
  tolerance: 10,
  pngEffort: 'auto',
  resend: false,
  deleteAfterUpload: false,
  maxRetries: 5,
  logFormat: 'human',
  quiet: false,
  verbose: false,
  statusInterval: 10,
  grace: 30,
  retryCap: 30,
  once: false,
};

describe('loadConfig', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haste-config-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const configFile = async (content: unknown): Promise<string> => {
    const file = join(dir, 'haste.json');
    await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };

  /** The messages a strict load throws, or [] when it does not throw. */
  const problems = (options: Parameters<typeof loadConfig>[0]): readonly string[] => {
    try {
      loadConfig(options);
      return [];
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
      return (error as ConfigError).errors;
    }
  };

  it('should return the defaults when nothing else is given', () => {
    const { config, errors } = loadConfig({ env: {}, flags: {}, defaults });
    expect(config).to.deep.equal(defaults);
    expect(errors).to.deep.equal([]);
  });

  it('should let flags beat env beat file beat defaults, field by field', async () => {
    const file = await configFile({ host: 'file:1', tag: 'file-tag', username: 'file-user', cores: 3, mode: 'fifo' });
    const env = { HASTE_HOST: 'env:2', HASTE_TAG: 'env-tag', HASTE_USERNAME: '' };
    const flags = { host: 'flag:3' };
    const { config } = loadConfig({ file, env, flags, defaults });
    expect(config.host).to.equal('flag:3');
    expect(config.tag).to.equal('env-tag');
    // An empty variable counts as unset rather than as an empty user name.
    expect(config.username).to.equal('file-user');
    expect(config.cores).to.equal(3);
    expect(config.mode).to.equal('fifo');
    expect(config.uploadSlots).to.equal(2);
  });

  it('should read the four HASTE_ variables and nothing else from the environment', () => {
    const env = { HASTE_HOST: 'gw:8080', HASTE_USERNAME: 'u', HASTE_PASSWORD: 'p', HASTE_TAG: 't', HASTE_CORES: '8' };
    const { config } = loadConfig({ env, flags: {}, defaults });
    expect(config).to.deep.equal({ ...defaults, host: 'gw:8080', username: 'u', password: 'p', tag: 't' });
  });

  it('should parse numbers, booleans and lists from flag strings, and take typed flags as they are', () => {
    const flags = {
      cores: '2',
      uploadSlots: 3,
      tolerance: '0.5',
      reduce: 'false',
      resend: true,
      include: 'png, tif',
      metricsPort: '0',
      statusInterval: '2.5',
      rescan: '0',
      config: 'ignored.json',
      color: false,
      password: undefined,
    };
    const { config } = loadConfig({ env: {}, flags, defaults });
    expect(config).to.deep.equal({
      ...defaults,
      cores: 2,
      uploadSlots: 3,
      tolerance: 0.5,
      reduce: false,
      resend: true,
      include: ['png', 'tif'],
      metricsPort: 0,
      statusInterval: 2.5,
      rescan: 0,
    });
  });

  it('should take every field from a file with the right types', async () => {
    const file = await configFile({
      path: '/data/in',
      include: ['png'],
      tag: 't',
      host: 'https://gw',
      username: 'u',
      passwordFile: '/etc/haste/pw',
      concurrency: 8,
      mode: 'splines',
      cores: 2,
      uploadSlots: 1,
      reduce: false,
      tolerance: 0,
      stateDir: '/var/lib/haste',
      resend: true,
      deleteAfterUpload: true,
      maxRetries: 0,
      ca: '/etc/ca.pem',
      logFormat: 'json',
      quiet: true,
      verbose: false,
      metricsPort: 9464,
      statusInterval: 30,
    });
    const { config } = loadConfig({ file, env: {}, flags: {}, defaults });
    expect(config.mode).to.equal('splines');
    expect(config.metricsPort).to.equal(9464);
    expect(config.include).to.deep.equal(['png']);
    expect(config.passwordFile).to.equal('/etc/haste/pw');
  });

  it('should resolve relative paths in the file against the file folder', async () => {
    const file = await configFile({ path: 'images', stateDir: './state', ca: '../ca.pem' });
    const { config } = loadConfig({ file, env: {}, flags: { passwordFile: 'pw.txt' }, defaults });
    expect(config.path).to.equal(join(dir, 'images'));
    expect(config.stateDir).to.equal(join(dir, 'state'));
    expect(config.ca).to.equal(join(dir, '..', 'ca.pem'));
    // Flags are relative to where the user typed them; the CLI resolves those.
    expect(config.passwordFile).to.equal('pw.txt');
  });

  it('should reject an unknown file key and suggest the field meant', async () => {
    const file = await configFile({ hots: 'gw', upload_slots: 2, zzzzzz: 1 });
    expect(problems({ file, env: {}, flags: {}, defaults })).to.deep.equal([
      `config file ${file}: unknown field \`hots\` (did you mean \`host\`?)`,
      `config file ${file}: unknown field \`upload_slots\` (did you mean \`uploadSlots\`?)`,
      `config file ${file}: unknown field \`zzzzzz\``,
    ]);
  });

  it('should check the type and range of every kind of field in the file', async () => {
    const file = await configFile({
      cores: 'two',
      concurrency: 0,
      maxRetries: 1.5,
      metricsPort: 70000,
      tolerance: -1,
      statusInterval: 0,
      reduce: 'yes',
      mode: 'spline',
      logFormat: 'xml',
      include: 'png',
      host: '',
      path: 42,
    });
    expect(problems({ file, env: {}, flags: {}, defaults })).to.deep.equal(
      [
        '`cores` must be an integer >= 1, got "two"',
        '`concurrency` must be an integer >= 1, got 0',
        '`maxRetries` must be an integer >= 0, got 1.5',
        '`metricsPort` must be an integer from 0 to 65535, got 70000',
        '`tolerance` must be a number >= 0, got -1',
        '`statusInterval` must be a number > 0, got 0',
        '`reduce` must be true or false, got "yes"',
        "`mode` must be one of 'none', 'fifo', 'splines', 'oracle', 'adaptive', got \"spline\" (did you mean `splines`?)",
        "`logFormat` must be one of 'human', 'json', got \"xml\"",
        '`include` must be a non-empty array of non-empty strings, got "png"',
        '`host` must be a non-empty string, got ""',
        '`path` must be a non-empty string, got 42',
      ].map((message) => `config file ${file}: ${message}`),
    );
  });

  it('should take the PNG setting from the file, and name the choices when it is not one', async () => {
    const good = await configFile({ pngEffort: 'small' });
    expect(loadConfig({ file: good, env: {}, flags: {}, defaults }).config.pngEffort).to.equal('small');
    const bad = await configFile({ pngEffort: 'smallest' });
    expect(problems({ file: bad, env: {}, flags: {}, defaults })).to.deep.equal([
      `config file ${bad}: \`pngEffort\` must be one of 'auto', 'fast', 'default', 'small', got "smallest"`,
    ]);
  });

  it('should not accept numbers written as strings in the file', async () => {
    const file = await configFile({ cores: '4' });
    expect(problems({ file, env: {}, flags: {}, defaults })).to.deep.equal([
      `config file ${file}: \`cores\` must be an integer >= 1, got "4"`,
    ]);
  });

  it('should name the flag or variable in the message, and never echo a password', () => {
    const flags = { cores: 'two', uploadSlots: '-1', reduce: 'maybe', include: ',', password: 12345 };
    expect(problems({ env: { HASTE_HOST: '   ' }, flags, defaults })).to.deep.equal([
      'environment variable HASTE_HOST: `host` must be a non-empty string, got "   "',
      'flag --cores: `cores` must be an integer >= 1, got "two"',
      'flag --upload-slots: `uploadSlots` must be an integer >= 1, got "-1"',
      'flag --reduce: `reduce` must be true or false, got "maybe"',
      'flag --include: `include` must be a comma-separated list of non-empty strings, got ","',
      'flag --password: `password` must be a non-empty string, got a number',
    ]);
  });

  it('should report a missing file, bad JSON and a non-object file', async () => {
    const missing = join(dir, 'missing.json');
    const [notFound] = problems({ file: missing, env: {}, flags: {}, defaults });
    expect(notFound).to.match(new RegExp(`^config file ${missing}: cannot be read \\(ENOENT`));
    const broken = await configFile('{ "host": ');
    expect(problems({ file: broken, env: {}, flags: {}, defaults })[0]).to.match(/: is not valid JSON \(/);
    const list = await configFile([1]);
    expect(problems({ file: list, env: {}, flags: {}, defaults })).to.deep.equal([
      `config file ${list}: must hold a JSON object of settings, got an array`,
    ]);
  });

  it('should throw one ConfigError listing every problem from every source', async () => {
    const file = await configFile({ hots: 'x' });
    let thrown: unknown;
    try {
      loadConfig({ file, env: {}, flags: { cores: '0' }, defaults });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).to.be.instanceOf(ConfigError);
    const error = thrown as ConfigError;
    expect(error.name).to.equal('ConfigError');
    expect(error.errors).to.have.length(2);
    expect(error.message).to.equal(`Invalid configuration:\n  - ${error.errors[0]}\n  - ${error.errors[1]}`);
  });

  it('should fall back past bad values and return the problems when not strict', async () => {
    const file = await configFile({ cores: 2 });
    const { config, errors } = loadConfig({ file, env: {}, flags: { cores: 'two' }, defaults, strict: false });
    expect(config.cores).to.equal(2);
    expect(errors).to.deep.equal(['flag --cores: `cores` must be an integer >= 1, got "two"']);
  });

  it('should let the higher source win between password and passwordFile, and reject both in one source', async () => {
    const file = await configFile({ passwordFile: '/etc/pw' });
    const fromEnv = loadConfig({ file, env: { HASTE_PASSWORD: 'secret' }, flags: {}, defaults }).config;
    expect([fromEnv.password, fromEnv.passwordFile]).to.deep.equal(['secret', undefined]);
    const fromFlag = loadConfig({ file, env: { HASTE_PASSWORD: 'secret' }, flags: { passwordFile: '/run/pw' }, defaults }).config;
    expect([fromFlag.password, fromFlag.passwordFile]).to.deep.equal([undefined, '/run/pw']);
    expect(problems({ env: {}, flags: { password: 'a', passwordFile: 'b' }, defaults })).to.deep.equal([
      'flags: set only one of `password` and `passwordFile`',
    ]);
  });

  it('should reject options that are not objects before reading anything', () => {
    expect(() => loadConfig({ env: {}, flags: null as never, defaults })).to.throw(TypeError, 'Expected `flags` to be an object, got null');
    expect(() => loadConfig({ file: '', env: {}, flags: {}, defaults })).to.throw(TypeError, 'Expected `file` to be a non-empty string');
  });
});
