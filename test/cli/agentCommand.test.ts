import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { startGateway } from '../../src/gateway/startGateway.js';
import type { RunningGateway } from '../../src/gateway/RunningGateway.js';
import { openLedger } from '../../src/state/openLedger.js';
import { fakeCli, isolateExitCode, waitFor, type FakeCli } from './cliHarness.js';

const password = 'Pa55-w0rd-never-shown';

describe('registerAgentCommand', () => {
  isolateExitCode();
  let root: string;
  let watched: string;
  let stateDir: string;
  let gateway: RunningGateway | undefined;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haste-cli-agent-'));
    watched = join(root, 'watched');
    stateDir = join(root, 'state');
    await mkdir(watched);
  });

  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
    await rm(root, { recursive: true, force: true });
  });

  const startLocalGateway = async (): Promise<RunningGateway> => {
    gateway = await startGateway({ port: 0, username: 'lab', password, store: join(root, 'store') });
    return gateway;
  };

  /** The flags every run against the local gateway needs, password aside. */
  const target = (g: RunningGateway): string[] => [watched, '--host', g.url, '--username', 'lab', '--state-dir', stateDir];

  /** Writes files into the watched folder and returns their contents by name. */
  const writeFiles = async (names: readonly string[]): Promise<Map<string, Buffer>> => {
    const files = new Map<string, Buffer>();
    for (const name of names) {
      const bytes = randomBytes(2048 + files.size * 517);
      await mkdir(join(watched, name, '..'), { recursive: true });
      await writeFile(join(watched, name), bytes);
      files.set(name, bytes);
    }
    return files;
  };

  /** Waits for `count` blobs, then sends SIGINT and waits for the command to finish. */
  const stopAfter = async (cli: FakeCli, running: Promise<unknown>, g: RunningGateway, count: number): Promise<void> => {
    await waitFor(() => g.received.length >= count, `${count} blobs at the gateway`);
    await waitFor(() => cli.listeners() > 0, 'the signal handler');
    cli.signal('SIGINT');
    await running;
  };

  const expectDelivered = async (g: RunningGateway, files: Map<string, Buffer>): Promise<void> => {
    expect(g.received).to.have.length(files.size);
    for (const [name, bytes] of files) {
      const blob = g.received.find((received) => received.originalFilename === join(watched, name));
      expect(blob, name).to.not.equal(undefined);
      expect(blob!.storedPath, name).to.be.a('string');
      expect((await readFile(blob!.storedPath!)).equals(bytes), `${name} byte-identical`).to.equal(true);
    }
  };

  describe('usage errors', () => {
    it('should exit 2 with one line naming <path> when no folder is given', async () => {
      const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
      await cli.run('--host', 'localhost:1', '--username', 'lab');
      expect(process.exitCode).to.equal(2);
      expect(cli.stderr.text).to.equal('haste-agent: missing <path> (the folder to watch); see --help\n');
      expect(cli.stdout.text).to.equal('');
    });

    it('should exit 2 with one line naming --host when no gateway is given', async () => {
      const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
      await cli.run(watched, '--username', 'lab');
      expect(process.exitCode).to.equal(2);
      expect(cli.stderr.text).to.equal('haste-agent: missing --host (or HASTE_HOST); see --help\n');
    });

    it('should exit 2 with one line naming --username when no user is given', async () => {
      const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
      await cli.run(watched, '--host', 'localhost:1');
      expect(process.exitCode).to.equal(2);
      expect(cli.stderr.text).to.equal('haste-agent: missing --username (or HASTE_USERNAME); see --help\n');
    });

    it('should exit 2 with one line naming the ways to give a password when there is none', async () => {
      const cli = fakeCli();
      await cli.run(watched, '--host', 'localhost:1', '--username', 'lab');
      expect(process.exitCode).to.equal(2);
      expect(cli.stderr.text).to.equal('haste-agent: missing password (HASTE_PASSWORD, --password-file or --password); see --help\n');
    });

    it('should take host, user and password from HASTE_* when no flags give them', async () => {
      // A folder that does not exist is the first check after the credentials, so getting there proves they were found.
      const cli = fakeCli({ env: { HASTE_HOST: 'localhost:1', HASTE_USERNAME: 'lab', HASTE_PASSWORD: password } });
      await cli.run(join(root, 'nowhere'));
      expect(process.exitCode).to.equal(2);
      expect(cli.stderr.text).to.equal(`haste-agent: ${join(root, 'nowhere')} is not a folder\n`);
    });

    it('should exit 2 naming the file when --password-file cannot be read', async () => {
      const cli = fakeCli();
      await cli.run(watched, '--host', 'localhost:1', '--username', 'lab', '--password-file', join(root, 'missing.txt'));
      expect(process.exitCode).to.equal(2);
      expect(cli.stderr.text).to.equal(`haste-agent: cannot read the password file ${join(root, 'missing.txt')}: ENOENT\n`);
    });

    it('should reject a --mode outside the choices with a CommanderError before anything runs', async () => {
      const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
      let caught: unknown;
      try {
        await cli.run(watched, '--host', 'localhost:1', '--username', 'lab', '--mode', 'fastest');
      } catch (error) {
        caught = error;
      }
      expect(caught).to.be.instanceOf(CommanderError);
      expect((caught as CommanderError).code).to.equal('commander.invalidArgument');
      expect((caught as CommanderError).exitCode).to.not.equal(0);
      expect(cli.stderr.text).to.match(/^error: option '--mode <mode>' argument 'fastest' is invalid\. Allowed choices are none, fifo, splines, oracle, adaptive\.\n$/);
    });

    it('should reject a --png-effort outside the choices, naming them', async () => {
      const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
      const caught = await cli
        .run(watched, '--host', 'localhost:1', '--username', 'lab', '--png-effort', 'max')
        .then(() => undefined, (error: unknown) => error);
      expect(caught).to.be.instanceOf(CommanderError);
      expect(cli.stderr.text).to.match(
        /^error: option '--png-effort <name>' argument 'max' is invalid\. Allowed choices are auto, fast, default, small\.\n$/,
      );
    });

    it('should exit 2 with the rule when --cores is not a positive integer', async () => {
      const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
      await cli.run(watched, '--host', 'localhost:1', '--username', 'lab', '--cores', 'two');
      expect(process.exitCode).to.equal(2);
      expect(cli.stderr.text).to.equal('haste-agent: flag --cores: `cores` must be an integer >= 1, got "two"\n');
    });

    it('should name the command a mistyped subcommand was probably meant to be, not ask for a gateway', async () => {
      const cli = fakeCli({ cwd: root });
      await cli.run('gatewy');
      expect(process.exitCode).to.equal(2);
      expect(cli.stderr.text).to.equal('haste-agent: gatewy is neither a command nor a folder; did you mean `haste-agent gateway`?\n');
    });

    it('should take an existing folder named like a mistyped command for the folder it is', async () => {
      await mkdir(join(root, 'statsu'));
      const cli = fakeCli({ cwd: root, env: { HASTE_PASSWORD: password } });
      await cli.run('statsu');
      expect(process.exitCode).to.equal(2);
      expect(cli.stderr.text).to.equal('haste-agent: missing --host (or HASTE_HOST); see --help\n');
    });

    it('should exit 2 with the rule when --poll is not a positive number of milliseconds', async () => {
      const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
      await cli.run(watched, '--host', 'localhost:1', '--username', 'lab', '--poll', '0');
      expect(process.exitCode).to.equal(2);
      expect(cli.stderr.text).to.equal('haste-agent: flag --poll: `poll` must be an integer >= 1, got "0"\n');
    });

    it('should list every bad field of a --config file once, each naming the file', async () => {
      const file = join(root, 'haste.json');
      await writeFile(file, JSON.stringify({ hots: 'gateway:8080', cores: 0, mode: 'splnes', reduce: 'yes' }));
      const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
      await cli.run(watched, '--config', file);
      expect(process.exitCode).to.equal(2);
      const lines = cli.stderr.text.trimEnd().split('\n').map((line) => line.replace(/^(haste-agent: | {2})/, ''));
      expect(lines).to.deep.equal([
        `config file ${file}: unknown field \`hots\` (did you mean \`host\`?)`,
        `config file ${file}: \`cores\` must be an integer >= 1, got 0`,
        `config file ${file}: \`mode\` must be one of 'none', 'fifo', 'splines', 'oracle', 'adaptive', got "splnes" (did you mean \`splines\`?)`,
        `config file ${file}: \`reduce\` must be true or false, got "yes"`,
      ]);
    });

    it('should never print the password, even when it is the value that is wrong', async () => {
      const file = join(root, 'bad.json');
      await writeFile(file, JSON.stringify({ password: 12345, passwordFile: password }));
      const runs: string[][] = [
        [watched, '--password', password, '--cores', 'two'],
        [watched, '--password', password, '--host', 'localhost:1'],
        [watched, '--password', password, '--config', file],
        [watched, '--password', password, '--config', join(root, 'nope.json'), '--username', 'u'],
        ['--password', password, '--mode', 'x'],
        [watched, '--password', password, '--password-file', join(root, 'pw'), '--host', 'h:1', '--username', 'u'],
      ];
      for (const args of runs) {
        const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
        await cli.run(...args).catch(() => undefined);
        expect(cli.output(), args.join(' ')).to.not.include(password);
        expect(cli.output(), args.join(' ')).to.not.equal('');
      }
    });
  });

  describe('against an embedded gateway', () => {
    it('should deliver every file byte-identical and exit 0 after SIGINT', async () => {
      const g = await startLocalGateway();
      const cli = fakeCli({ env: { HASTE_PASSWORD: password }, cwd: root });
      const files = await writeFiles(['a.dat', 'b.dat', 'deeper/c.dat']);
      const running = cli.run(...target(g));
      await waitFor(() => g.received.length >= files.size, 'the files already there');
      // A file that appears while the agent runs is sent too, once it has settled.
      for (const [name, bytes] of await writeFiles(['later/d.dat'])) files.set(name, bytes);
      await stopAfter(cli, running, g, files.size);
      expect(process.exitCode ?? 0).to.equal(0);
      await expectDelivered(g, files);
      expect(cli.listeners(), 'signal handler removed').to.equal(0);
      expect(cli.stderr.text).to.include('SIGINT: no new uploads start');
      expect(cli.stderr.text).to.match(/stopped; 4 acknowledged, 0 pending, 0 failed this run\n$/);
      expect(cli.stdout.text.trimEnd().split('\n').filter((line) => / uploaded /.test(line))).to.have.length(4);
      expect(cli.output()).to.not.include(password);
    });

    it('should find new files by polling with --poll, as on a network share', async () => {
      const g = await startLocalGateway();
      const cli = fakeCli({ env: { HASTE_PASSWORD: password }, cwd: root });
      const running = cli.run(...target(g), '--poll', '50');
      const files = await writeFiles(['polled/a.dat']);
      await stopAfter(cli, running, g, 1);
      expect(process.exitCode ?? 0).to.equal(0);
      await expectDelivered(g, files);
    });

    it('should send one whole version of a file whose writer pauses 1 s, with --settle-ms 1800', async () => {
      const g = await startLocalGateway();
      const cli = fakeCli({ env: { HASTE_PASSWORD: password }, cwd: root });
      const running = cli.run(...target(g), '--settle-ms', '1800');
      const pieces = [randomBytes(3000), randomBytes(3000), randomBytes(3000)];
      const handle = await open(join(watched, 'slow.dat'), 'w');
      try {
        for (const [index, piece] of pieces.entries()) {
          await handle.write(piece);
          if (index < pieces.length - 1) await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      } finally {
        await handle.close();
      }
      await waitFor(() => g.received.length >= 1, 'the settled file', 8000);
      // Long enough for a second version to have been sent, had the agent taken one.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await stopAfter(cli, running, g, 1);
      expect(process.exitCode ?? 0).to.equal(0);
      await expectDelivered(g, new Map([['slow.dat', Buffer.concat(pieces)]]));
    });

    it('should exit 2 with the rule when --settle-ms is not a whole number of milliseconds', async () => {
      const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
      await cli.run(watched, '--host', 'localhost:1', '--username', 'lab', '--settle-ms', '0.5');
      expect(process.exitCode).to.equal(2);
      expect(cli.stderr.text).to.equal('haste-agent: flag --settle-ms: `settleMs` must be an integer >= 0, got "0.5"\n');
    });

    it('should exit 2 with the rule when --rescan is negative', async () => {
      const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
      await cli.run(watched, '--host', 'localhost:1', '--username', 'lab', '--rescan', '-1');
      expect(process.exitCode).to.equal(2);
      expect(cli.stderr.text).to.equal('haste-agent: flag --rescan: `rescan` must be a number >= 0, got "-1"\n');
    });

    it('should read the password from the first line of --password-file', async () => {
      const g = await startLocalGateway();
      await writeFile(join(root, 'pw'), `${password}\nignored second line\n`, { mode: 0o600 });
      const cli = fakeCli({ cwd: root });
      const files = await writeFiles(['one.dat']);
      // A relative path is resolved against the CLI's working folder.
      const running = cli.run(...target(g), '--password-file', 'pw');
      await stopAfter(cli, running, g, 1);
      expect(process.exitCode ?? 0).to.equal(0);
      await expectDelivered(g, files);
    });

    it('should warn once, even with --quiet, what opening a damaged ledger dropped and where', async () => {
      const g = await startLocalGateway();
      const ledger = await openLedger({ dir: stateDir });
      await ledger.close();
      await appendFile(join(stateDir, 'journal.jsonl'), '0123456789abcdef {"seq":1,"entry":{"pa');
      const cli = fakeCli({ env: { HASTE_PASSWORD: password }, cwd: root });
      const files = await writeFiles(['a.dat']);
      const running = cli.run(...target(g), '--quiet');
      await stopAfter(cli, running, g, files.size);
      expect(process.exitCode ?? 0).to.equal(0);
      const warnings = cli.stdout.text.split('\n').filter((line) => line.includes('warning:'));
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.match(
        new RegExp(`^\\S+ warning: ledger in ${stateDir} was damaged: dropped 1 record \\(journal\\.jsonl line 1 \\(byte 0, 38 bytes, cut short\\)\\)`),
      );
    });

    it('should take settings from --config below the flags, and print nothing with --quiet', async () => {
      const g = await startLocalGateway();
      const file = join(root, 'haste.json');
      // The file's host is wrong on purpose: the flag must win over it.
      await writeFile(file, JSON.stringify({ host: 'localhost:1', username: 'lab', include: ['keep'], stateDir: 'state' }));
      const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
      const files = await writeFiles(['a.keep', 'b.skip', 'sub/c.keep']);
      files.delete('b.skip');
      const running = cli.run(watched, '--config', file, '--host', g.url, '--quiet');
      await stopAfter(cli, running, g, files.size);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(process.exitCode ?? 0).to.equal(0);
      await expectDelivered(g, files);
      // Only the answer to Ctrl-C itself: no log lines, no status lines, no summary.
      expect(cli.stdout.text).to.equal('');
      expect(cli.stderr.text.trim().split('\n')).to.deep.equal([
        'haste-agent: SIGINT: no new uploads start; waiting up to 30 s for those in flight (again to abort)',
      ]);
    });

    it('should exit 2 on a --metrics-port that is not a port, before uploading anything', async () => {
      const g = await startLocalGateway();
      await writeFiles(['one.dat']);
      const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
      await cli.run(...target(g), '--metrics-port', '70000');
      expect(process.exitCode).to.equal(2);
      expect(cli.stderr.text).to.equal('haste-agent: flag --metrics-port: `metricsPort` must be an integer from 0 to 65535, got "70000"\n');
      expect(g.received).to.have.length(0);
    });

    it('should exit 2 and name the refusal when the gateway rejects the credentials', async () => {
      const g = await startLocalGateway();
      await writeFiles(['one.dat']);
      const cli = fakeCli({ env: { HASTE_PASSWORD: 'wrong-password' } });
      await cli.run(...target(g));
      expect(process.exitCode).to.equal(2);
      expect(cli.stderr.text).to.match(/401/);
      expect(g.received).to.have.length(0);
    });

    it('should write one JSON object per event with --log-format json', async () => {
      const g = await startLocalGateway();
      const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
      const files = await writeFiles(['x.dat', 'y.dat']);
      const running = cli.run(...target(g), '--log-format', 'json');
      await stopAfter(cli, running, g, files.size);
      expect(process.exitCode ?? 0).to.equal(0);
      const events = cli.stdout.text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      for (const event of events) {
        expect(event.time).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(event.type).to.be.a('string');
        expect(event.path).to.be.a('string');
      }
      const uploaded = events.filter((event) => event.type === 'uploaded');
      expect(uploaded.map((event) => event.path)).to.have.members([join(watched, 'x.dat'), join(watched, 'y.dat')]);
      for (const event of uploaded) {
        expect(event.status).to.equal(200);
        expect(event.bytes).to.be.a('number').above(0);
        expect(event.durationMs).to.be.a('number');
      }
      expect(events.filter((event) => event.type === 'seen')).to.have.length(2);
      expect(cli.stdout.text).to.not.include(password);
    });

    it('should serve Prometheus metrics on the port printed for --metrics-port 0 while running', async () => {
      const g = await startLocalGateway();
      const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
      const files = await writeFiles(['m1.dat', 'm2.dat']);
      const running = cli.run(...target(g), '--metrics-port', '0');
      await waitFor(() => /metrics on http:\/\/\S+\n/.test(cli.stderr.text), 'the metrics URL');
      const url = /metrics on (http:\/\/\S+)\n/.exec(cli.stderr.text)![1]!;
      expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      await waitFor(() => g.received.length >= files.size, 'both blobs');
      let body = '';
      // The stats snapshot follows the events by a tick; poll rather than race it.
      const deadline = Date.now() + 5000;
      while (!/^haste_files_uploaded_total 2$/m.test(body) && Date.now() < deadline) {
        const response = await fetch(url);
        expect(response.status).to.equal(200);
        body = await response.text();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(body).to.match(/^# TYPE haste_files_uploaded_total counter$/m);
      expect(body).to.match(/^haste_files_uploaded_total 2$/m);
      cli.signal('SIGINT');
      await running;
      expect(process.exitCode ?? 0).to.equal(0);
      // Closed with the agent, so nothing keeps the process alive.
      const after = await fetch(url).then(
        () => 'answered',
        () => 'refused',
      );
      expect(after).to.equal('refused');
    });

    it('should stop for good on a clean halt, with no abort once the grace period ends', async () => {
      const g = await startLocalGateway();
      const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
      const files = await writeFiles(['g.dat']);
      const running = cli.run(...target(g), '--grace', '0.2');
      await stopAfter(cli, running, g, files.size);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(cli.stderr.text).to.not.include('aborting');
      expect(cli.stderr.text).to.match(/stopped; 1 acknowledged, 0 pending, 0 failed this run\n$/);
    });

    it('should print log lines above the status block when stdout and stderr are one terminal', async () => {
      const g = await startLocalGateway();
      const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
      for (const sink of [cli.stdout, cli.stderr]) {
        sink.isTTY = true;
        sink.columns = 120;
      }
      const files = await writeFiles(['t1.dat', 't2.dat']);
      const running = cli.run(...target(g));
      await stopAfter(cli, running, g, files.size);
      expect(process.exitCode ?? 0).to.equal(0);
      expect(cli.stdout.text).to.equal('');
      const plain = cli.stderr.text.replace(/\x1b\[[0-9;]*m/g, '');
      // Each line replaces the block (cursor up over its five rows, clear to the end) and the block follows it.
      expect(plain.match(/\x1b\[5A\r\x1b\[0J\S+ uploaded \S+t\d\.dat [^\n]*\n\r\x1b\[2Kuplink/g)).to.have.length(2);
      expect(plain).to.match(/\x1b\[5A\r\x1b\[0Jhaste-agent: SIGINT: no new uploads start[^\n]*\n\r\x1b\[2Kuplink/);
      const blocks = plain.split('\r\x1b[2Kfiles');
      expect(blocks[blocks.length - 1]).to.match(/^ +2 seen +0 reducing +0 uploading +0 pending +2 uploaded/);
    });

    it('should abort an upload in flight on a second signal and leave its file pending', async () => {
      // A slow uplink keeps the upload in flight while the signals arrive.
      gateway = await startGateway({ port: 0, username: 'lab', password, maxBytesPerSecond: 20_000 });
      const g = gateway;
      const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
      await mkdir(join(watched, 'big'), { recursive: true });
      await writeFile(join(watched, 'big', 'slow.dat'), randomBytes(400_000));
      const running = cli.run(...target(g), '--grace', '60', '--verbose');
      await waitFor(() => / uploading \S+slow\.dat/.test(cli.stdout.text), 'the upload to start');
      cli.signal('SIGTERM');
      expect(cli.stderr.text).to.include('SIGTERM: no new uploads start; waiting up to 60 s');
      cli.signal('SIGTERM');
      await running;
      expect(cli.stderr.text).to.include('second SIGTERM: aborting uploads in flight');
      expect(cli.listeners()).to.equal(0);
      expect(process.exitCode ?? 0).to.equal(0);
      expect(cli.stderr.text).to.match(/stopped; 0 acknowledged, 1 pending, 0 failed this run\n$/);
      expect(g.received).to.have.length(0);

      const status = fakeCli();
      await status.run('status', '--state-dir', stateDir);
      expect(status.stdout.text).to.include('pending     1\n');
    });

    it('should count the files found and not yet taken, on the status line and when it stops', async function () {
      this.timeout(60_000);
      // More files than the agent admits ahead of its uploads (4,096), behind an uplink that
      // takes five a second.
      gateway = await startGateway({ port: 0, username: 'lab', password, maxBytesPerSecond: 5_000 });
      const g = gateway;
      const files = 4500;
      for (let folder = 0; folder < 5; folder++) {
        await mkdir(join(watched, `f${folder}`));
        await Promise.all(Array.from({ length: files / 5 }, (_, i) => writeFile(join(watched, `f${folder}`, `${i}.dat`), `${folder}/${i}`.padEnd(1000, '.'))));
      }
      const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
      const running = cli.run(...target(g), '--log-format', 'json', '--status-interval', '0.3', '--grace', '1', '--settle-ms', '50');
      const statusLines = (): { filesSeen: number; filesWaiting: number; message: string }[] =>
        cli.stderr.text.split('\n').filter((line) => line.includes('"type":"status"')).map((line) => JSON.parse(line) as { filesSeen: number; filesWaiting: number; message: string });
      await waitFor(() => statusLines().some((line) => line.filesWaiting > 0 && line.filesSeen + line.filesWaiting >= files - 50), 'a status line counting the files waiting', 30_000);
      const waiting = statusLines().find((line) => line.filesWaiting > 0)!;
      expect(waiting.message).to.match(/, pending \d+, waiting \d+, /);
      await waitFor(() => cli.listeners() > 0, 'the signal handler');
      cli.signal('SIGINT');
      await running;
      const stopped = JSON.parse(cli.stderr.text.trimEnd().split('\n').at(-1)!) as { type: string; message: string; acknowledged: number; pending: number; waiting: number };
      expect(stopped.type).to.equal('stopped');
      expect(stopped.waiting).to.be.greaterThan(0);
      // Every file is accounted for: acknowledged, pending in the ledger, or waiting.
      expect(stopped.acknowledged + stopped.pending + stopped.waiting).to.equal(files);
      expect(stopped.message).to.include(`; ${stopped.waiting} more found and not yet taken, taken at the next start`);
    });
  });
});
