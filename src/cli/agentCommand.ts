import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { connectable, Subject, tap, type Connectable, type Observable, type Subscription } from 'rxjs';
import { runAgent } from '../agent/runAgent.js';
import type { AgentConfig } from '../config/AgentConfig.js';
import { ConfigError } from '../config/ConfigError.js';
import { loadConfig } from '../config/loadConfig.js';
import { suggest } from '../config/configFields.js';
import type { AgentEvent } from '../observe/AgentEvent.js';
import type { AgentStats } from '../observe/AgentStats.js';
import { emptyStats } from '../observe/emptyStats.js';
import { formatLogLine } from '../observe/formatLogLine.js';
import { summarizeSkipped, type SkippedSummary } from '../observe/summarizeSkipped.js';
import { formatBytes } from '../observe/formatQuantities.js';
import type { MetricsServer } from '../observe/MetricsServer.js';
import { reportProgress } from '../observe/reportProgress.js';
import { startMetricsServer } from '../observe/startMetricsServer.js';
import { trackStats } from '../observe/trackStats.js';
import { createFetchPost } from '../sinks/fetchPost.js';
import { createNatsUploader } from '../sinks/createNatsUploader.js';
import type { NatsBucket } from '../sinks/openNatsBucket.js';
import type { Ledger } from '../state/Ledger.js';
import { streamId as formatStreamId } from '../sinks/streamId.js';
import { openLedger } from '../state/openLedger.js';
import { resumeStreamId } from '../state/resumeStreamId.js';
import type { CliIo } from './CliIo.js';
import { createCliLog, type CliLog } from './createCliLog.js';
import { agentDefaults, collectList, defaultStateDir, stateDirProblem } from './agentCommandInternals.js';
import { addNatsOptions, openConfiguredBucket } from './natsSinkOptions.js';

type Logged = AgentEvent | SkippedSummary;
/** Events worth a line without --verbose: what an operator must know about (a summary of skips says a restart is walking old files). */
const alwaysLogged = new Set<Logged['type']>(['uploaded', 'failed', 'retried', 'ledger-degraded', 'ledger-recovered', 'ledger-repaired', 'skipped-summary']);
/** Events printed even with --quiet: trouble an operator must see. */
const loggedWhenQuiet = new Set<Logged['type']>(['failed', 'ledger-degraded', 'ledger-recovered', 'ledger-repaired']);

/**
 * Adds the agent itself to the program: `haste-agent <path> [options]`, the original HASTE
 * Desktop Agent's interface plus scheduling, durability and operating options.
 */
export function registerAgentCommand(program: Command, io: CliIo): void {
  program
    .argument('[path]', 'folder to watch (recursively); files already in it are sent too')
    .option('--include <ext>', 'only send files with this extension (repeatable or comma-separated, e.g. png,tif)', collectList)
    .option('--tag <tag>', `gateway tag (env HASTE_TAG) (default: "${agentDefaults.tag}")`)
    .option('--host <host>', 'gateway as host:port or an http(s) URL (env HASTE_HOST)')
    .option('--username <name>', 'gateway user (env HASTE_USERNAME)')
    .option('--password <password>', 'gateway password; prefer HASTE_PASSWORD or --password-file, argv is visible in ps')
    .option('--password-file <file>', 'read the password from the first line of this file')
    .option('--concurrency <n>', 'uploads in flight at once (the original agent\'s name for --upload-slots)')
    .addOption(new Option('--mode <mode>', `scheduling strategy (default: "${agentDefaults.mode}")`).choices(['none', 'fifo', 'splines', 'oracle', 'adaptive']))
    .option('--cores <n>', `worker threads reducing files (default: ${agentDefaults.cores})`)
    .option('--upload-slots <n>', `uploads in flight at once (default: ${agentDefaults.uploadSlots})`)
    .option('--reduce', 'reduce .png/.tif images locally when it pays (default: on)')
    .option('--no-reduce', 'send every file as it is')
    .option('--tolerance <n>', `background threshold of the image reducer, 0-255 (default: ${agentDefaults.tolerance})`)
    .addOption(
      new Option(
        '--png-effort <name>',
        `PNG setting of the image reducer; auto picks per stream from measured bytes saved per CPU-second and the uplink (default: "${agentDefaults.pngEffort}")`,
      ).choices(['auto', 'fast', 'default', 'small']),
    )
    .option('--poll <ms>', "poll the folder every <ms> instead of using the OS's file events (network shares: SMB, NFS)")
    .option('--settle-ms <ms>', `send a file once its size and mtime stayed the same this long; raise it for writers that pause mid-file (default: ${agentDefaults.settleMs})`)
    .option('--rescan <seconds>', `seconds between walks of the folder for files whose watcher event was lost; 0 turns them off (default: ${agentDefaults.rescan})`)
    .option('--state-dir <dir>', 'where the ledger lives (default: ~/.local/state/haste-agent/<folder>-<hash>)')
    .option('--resend', 'send files again that an earlier run delivered')
    .option('--stream-id <id>', 'gateway stream to post to (default: a new one per run, or the interrupted run\'s while files are pending)')
    .option('--delete-after-upload', 'delete each original once the gateway acknowledged it')
    .option('--max-retries <n>', 'give up on a file after this many retries (default: unlimited)')
    .option('--retry-cap <seconds>', `longest wait between retries, before jitter; a Retry-After may ask for longer (default: ${agentDefaults.retryCap})`)
    .option('--ca <file>', 'PEM file of a private certificate authority for an https gateway')
    .option('--grace <seconds>', `on Ctrl-C, how long uploads in flight may finish (default: ${agentDefaults.grace})`)
    .addOption(new Option('--log-format <format>', 'log lines as text or one JSON object per event (default: "human")').choices(['human', 'json']))
    .option('--quiet', 'print only errors')
    .option('--verbose', 'log every event, not just uploads and errors')
    .option('--metrics-port <port>', 'serve Prometheus /metrics and /healthz on 127.0.0.1:<port>')
    .option('--status-interval <seconds>', `seconds between status lines when stderr is not a terminal (default: ${agentDefaults.statusInterval})`)
    .option('--once', 'batch mode: send the files in the folder, then exit once each is acknowledged (exit 1 if any failed)')
    .option('--idle-exit <seconds>', 'with --once (implied), also send files that arrive until none has come for this long')
    .option('--config <file>', 'JSON file with any of these options (flags > env > file > defaults)');
  addNatsOptions(program, 'agent')
    .action(async (path: string | undefined, flags: Record<string, unknown>) => {
      // The flag decides how errors in the config are reported; the merged config, how the run is.
      let log = createCliLog(io, { format: flags.logFormat === 'json' ? 'json' : 'human', prefix: 'haste-agent' });
      const fail: Fail = (message, code) => log.fail(message, code);
      let config: AgentConfig;
      try {
        const given = Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined));
        if (path !== undefined) given.path = path;
        for (const key of ['path', 'passwordFile', 'stateDir', 'ca', 'natsCreds', 'natsPasswordFile'] as const) {
          if (typeof given[key] === 'string') given[key] = resolve(io.cwd, given[key] as string);
        }
        const file = typeof flags.config === 'string' ? resolve(io.cwd, flags.config) : undefined;
        config = loadConfig({ ...(file === undefined ? {} : { file }), env: io.env, flags: given, defaults: agentDefaults }).config;
        if (config.logFormat !== log.format) log = createCliLog(io, { format: config.logFormat, prefix: 'haste-agent' });
      } catch (error) {
        if (error instanceof ConfigError) {
          fail(error.errors.join('\n  '));
          return;
        }
        throw error;
      }
      if (config.streamId !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(config.streamId)) {
        fail(`--stream-id must be 1-128 letters, digits, _ or -, got ${JSON.stringify(config.streamId)}`);
        return;
      }
      // `haste-agent gatewy` is a mistyped command more likely than a folder of that name; say so
      // before asking for a gateway it does not need.
      const command = path !== undefined && !/[\\/]/.test(path) ? suggest(path, program.commands.map((sub) => sub.name())) : undefined;
      if (command !== undefined && config.path !== undefined && (await stat(config.path).catch(() => undefined)) === undefined) {
        fail(`${path} is neither a command nor a folder; did you mean \`haste-agent ${command}\`?`);
        return;
      }
      await runConfigured(config, io, log);
    });
}

type Fail = (message: string, code?: number) => void;

async function runConfigured(config: AgentConfig, io: CliIo, log: CliLog): Promise<void> {
  const fail: Fail = (message, code) => log.fail(message, code);
  const run = await checkRun(config, io, fail);
  if (run === undefined) return;
  let ledger: Ledger;
  try {
    ledger = await openLedger({ dir: run.stateDir });
  } catch (error) {
    return fail((error as Error).message);
  }
  let outcome: RunOutcome;
  try {
    if (config.nats !== undefined) {
      const bucket = await openConfiguredBucket(config, 'haste-agent');
      if (typeof bucket === 'string') return fail(bucket);
      run.bucket = bucket;
    }
    outcome = await superviseAgent(config, io, log, run, ledger);
  } finally {
    await run.bucket?.close().catch(() => undefined);
    // A last compaction, so the snapshot's archive totals are exact for `status` between runs:
    // archived entries sent again in this run (files refused before, usually) are in the journal
    // too, and `status`, which does not open the archive, would count them twice. A ledger that
    // cannot write refuses it, and the journal stays as it is.
    await ledger.compact().catch(() => undefined);
    await ledger.close();
  }
  if (process.exitCode === undefined || process.exitCode === 0) {
    const summary = ledger.summary();
    const { acknowledged } = summary.counts;
    const { pending } = summary;
    const failed = outcome.failedFiles;
    // A batch run that ran to its end has taken every file it found: one left pending was not delivered.
    const done = isBatch(config) && !outcome.halted;
    if (!config.quiet) {
      const stats = outcome.stats;
      // Files found and never admitted are not in the ledger's counts; the next start finds them again.
      const waiting = stats.filesWaiting > 0 ? `; ${stats.filesWaiting} more found and not yet taken, taken at the next start` : '';
      const counts = `${acknowledged} acknowledged, ${pending} pending, ${failed} failed this run${waiting}`;
      const run = { sentBytes: stats.bytesSent, savedBytes: stats.bytesSaved, uploaded: stats.filesUploaded, skipped: stats.filesSkipped, waiting: stats.filesWaiting };
      log.say(
        done
          ? { type: 'done', message: `done; ${counts}; sent ${formatBytes(stats.bytesSent)}, ${formatBytes(stats.bytesSaved)} saved by reduction`, acknowledged, pending, failed, ...run }
          : { type: 'stopped', message: `stopped; ${counts}`, acknowledged, pending, failed, ...run },
        { prefixed: true },
      );
    }
    if (failed > 0 || (done && pending > 0)) process.exitCode = 1;
  }
}

/** Whether the run is a batch that ends by itself (`--once`, or `--idle-exit` which implies it). */
function isBatch(config: AgentConfig): boolean {
  return config.once || config.idleExit !== undefined;
}

/** How a run ended, for its summary and exit code. */
interface RunOutcome {
  readonly failedFiles: number;
  /** Stopped by a signal rather than running to its end. */
  readonly halted: boolean;
  /** The last stats of the run. */
  readonly stats: AgentStats;
}

/** What a run needs beyond the config, once checked: the password read and the state folder chosen. */
interface CheckedRun {
  watched: string;
  /** The gateway's; undefined with `--nats`. */
  host: string | undefined;
  username: string | undefined;
  password: string | undefined;
  /** The NATS bucket files go to instead of a gateway, once opened. */
  bucket?: NatsBucket;
  stateDir: string;
  ca: Buffer | undefined;
}

/** The run the config asks for, or undefined once `fail` has said what is missing or wrong. */
async function checkRun(config: AgentConfig, io: CliIo, fail: Fail): Promise<CheckedRun | undefined> {
  const stop = (message: string): undefined => {
    fail(message);
    return undefined;
  };
  const missing = (name: string, hint: string): undefined => stop(`missing ${name} (${hint}); see --help`);
  if (config.path === undefined) return missing('<path>', 'the folder to watch');
  if (config.nats !== undefined && config.host !== undefined) return stop('give either --host (a HASTE gateway) or --nats (a NATS bucket), not both');
  if (config.nats === undefined && config.host === undefined) return missing('--host', 'or HASTE_HOST');
  if (config.nats === undefined && config.username === undefined) return missing('--username', 'or HASTE_USERNAME');
  let password = config.password;
  if (config.nats !== undefined) password = '';
  else if (password === undefined && config.passwordFile !== undefined) {
    try {
      password = (await readFile(config.passwordFile, 'utf8')).split(/\r?\n/)[0];
    } catch (error) {
      return stop(`cannot read the password file ${config.passwordFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  if (config.nats === undefined && (password === undefined || password === '')) return missing('password', 'HASTE_PASSWORD, --password-file or --password');
  const watched = config.path;
  const info = await stat(watched).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) return stop(`${watched} is not a folder`);
  const stateDir = config.stateDir ?? defaultStateDir(watched, io.env);
  const problem = stateDirProblem(watched, stateDir);
  if (problem !== undefined) return stop(problem);
  let ca: Buffer | undefined;
  if (config.ca !== undefined) {
    try {
      ca = await readFile(config.ca);
    } catch {
      return stop(`cannot read the CA file ${config.ca}`);
    }
  }
  return { watched, host: config.host, username: config.username, password: config.nats === undefined ? password : undefined, stateDir, ca };
}

/**
 * Runs the agent until it completes, fails or is stopped by a signal, with the metrics server
 * and the status display beside it; resolves with how it ended: the files that failed, whether a
 * signal stopped it, and its last stats.
 */
async function superviseAgent(config: AgentConfig, io: CliIo, log: CliLog, run: CheckedRun, ledger: Ledger): Promise<RunOutcome> {
  // When stdout and the status block share a terminal, log lines go above the block; written
  // straight to stdout they would land below it and the next redraw would tear both apart.
  // A JSON log has no block.
  const drawsBlock = io.stderr.isTTY === true && config.logFormat === 'human';
  const above = io.stdout.isTTY === true && drawsBlock && !config.quiet ? new Subject<string>() : undefined;
  const halt = new Subject<void>();
  let metrics: MetricsServer | undefined;
  let latest: AgentStats | undefined;
  try {
    const events$ = await connectAgent(config, run, ledger, halt);
    if (config.metricsPort !== undefined) {
      metrics = await startMetricsServer({
        port: config.metricsPort,
        getStats: () => latest ?? emptyStats(Date.now()),
      });
      if (!config.quiet) log.say({ type: 'metrics', message: `metrics on ${metrics.url}`, url: metrics.url });
    }
    const stats$ = events$.pipe(
      trackStats(),
      tap((stats) => {
        latest = stats;
      }),
      reportProgress({
        stream: io.stderr,
        quiet: config.quiet,
        format: config.logFormat,
        ...(drawsBlock ? {} : { intervalMs: config.statusInterval * 1000 }),
        ...(above === undefined ? {} : { lines: above }),
      }),
    );
    let halted = false;
    const failedFiles = await untilStopped({ config, io, log, events$, stats$, halt, above, metrics, onHalt: () => (halted = true) });
    return { failedFiles, halted, stats: latest ?? emptyStats(Date.now()) };
  } finally {
    await metrics?.close();
  }
}

/**
 * The agent's events, connected by the caller once both of its subscribers are in place: the
 * first events (a ledger repair warning) come synchronously and would otherwise reach only the
 * first of them.
 */
async function connectAgent(config: AgentConfig, run: CheckedRun, ledger: Ledger, halt: Subject<void>): Promise<Connectable<AgentEvent>> {
  // A restart continues the interrupted stream, so the gateway can drop a repeated file by its hash.
  const streamId = config.streamId ?? (await resumeStreamId({ ledger, fresh: formatStreamId({ tag: config.tag ?? agentDefaults.tag }) }).catch(() => undefined));
  return connectable(runAgent({
    ...(streamId === undefined ? {} : { streamId }),
    path: run.watched,
    ...(config.include === undefined ? {} : { include: config.include }),
    watch: {
      awaitWriteFinish: { stabilityThreshold: config.settleMs },
      ...(config.poll === undefined ? {} : { usePolling: true, interval: config.poll }),
    },
    rescanIntervalMs: Math.round(config.rescan * 1000),
    ...(run.bucket === undefined
      ? { host: run.host, username: run.username, password: run.password }
      : { upload: createNatsUploader({ store: run.bucket.store, root: run.watched, describe: run.bucket.describe, ...(streamId === undefined ? {} : { streamId }), ...(config.tag === undefined ? {} : { tag: config.tag }) }) }),
    ...(config.tag === undefined ? {} : { tag: config.tag }),
    strategy: config.mode,
    cores: config.cores,
    uploadSlots: config.concurrency ?? config.uploadSlots,
    reduce: config.reduce,
    reducer: { tolerance: config.tolerance },
    pngEffort: config.pngEffort,
    retry: { maxRetries: config.maxRetries, capMs: config.retryCap * 1000 },
    post: createFetchPost(run.ca === undefined ? {} : { ca: run.ca }),
    ledger,
    resend: config.resend,
    deleteAfterUpload: config.deleteAfterUpload,
    ...(isBatch(config) ? { idleExitMs: (config.idleExit ?? 0) * 1000 } : {}),
    halt,
  }), { connector: () => new Subject<AgentEvent>(), resetOnDisconnect: false });
}

interface Supervision {
  config: AgentConfig;
  io: CliIo;
  log: CliLog;
  events$: Connectable<AgentEvent>;
  stats$: Observable<AgentStats>;
  halt: Subject<void>;
  /** Log lines to print above the status block, when it shares a terminal with stdout. */
  above: Subject<string> | undefined;
  metrics: MetricsServer | undefined;
  /** Called when a signal stops the run. */
  onHalt: () => void;
}

/**
 * Subscribes the stats and the log to the agent's events and connects them; resolves with the
 * number of failed files once the events end, fail, or a signal stops them: the first halts new
 * uploads and waits `--grace` seconds for those in flight, a second (or the grace running out) aborts.
 */
function untilStopped({ config, io, log: cliLog, events$, stats$, halt, above, metrics, onHalt }: Supervision): Promise<number> {
  const stdout = io.stdout as NodeJS.WritableStream & { cork?: () => void; uncork?: () => void };
  let corked = false;
  const log = (line: string): void => {
    if (above !== undefined) {
      above.next(line);
      return;
    }
    // The lines of one turn of the event loop leave in one system call, in order with every
    // other write to stdout: at a thousand files a second, a write per line cost the agent more
    // than its ledger.
    if (!corked && stdout.cork !== undefined && stdout.uncork !== undefined) {
      stdout.cork();
      corked = true;
      process.nextTick(() => {
        corked = false;
        stdout.uncork!();
      });
    }
    stdout.write(`${line}\n`);
  };
  let subscription: Subscription | undefined;
  let failedFiles = 0;
  let graceTimer: NodeJS.Timeout | undefined;
  return new Promise<number>((resolvePromise) => {
    const unlisten = io.onSignal((signal) => {
      if (subscription === undefined || subscription.closed) return;
      if (graceTimer === undefined) {
        const notice = cliLog.line(
          { type: 'signal', message: `${signal}: no new uploads start; waiting up to ${config.grace} s for those in flight (again to abort)`, signal, graceSeconds: config.grace },
          true,
        );
        if (above !== undefined) above.next(notice);
        // A blank line first in human form: the ^C the terminal echoed has no line ending.
        else io.stderr.write(`${cliLog.format === 'human' ? '\n' : ''}${notice}\n`);
        // Armed before halting: with nothing in flight, halt completes the run synchronously and finish() must find the timer to clear it.
        graceTimer = setTimeout(() => abort('grace period over'), config.grace * 1000);
        onHalt();
        halt.next();
      } else {
        abort(`second ${signal}`);
      }
    });
    // Called once the events can no longer arrive (completed, failed or unsubscribed), so the count is final.
    const finish = (): void => {
      unlisten();
      if (graceTimer !== undefined) clearTimeout(graceTimer);
      resolvePromise(failedFiles);
    };
    const abort = (why: string): void => {
      cliLog.say({ type: 'abort', message: `${why}: aborting uploads in flight; they stay pending for the next run`, reason: why }, { prefixed: true });
      subscription?.unsubscribe();
      finish();
    };
    // Subscribed first so that, for each event, the stats (and the block) are updated before the
    // log line is printed, and the final state is drawn before completion tears the block down.
    const statsSubscription = stats$.subscribe({ error: () => undefined });
    // A restart on a folder of a million delivered files skips each with an event: the log gets
    // a summary a second, not a million lines (--verbose asks for every event, and gets them).
    // Subscribed before the run's own subscription, so the last summary is written before the
    // run is seen to end.
    const logged: Observable<Logged> = config.verbose ? events$ : events$.pipe(summarizeSkipped());
    const logSubscription = logged.subscribe({ next: (event) => logEvent(event, config, log), error: () => undefined });
    subscription = events$.subscribe({
      next: (event) => {
        metrics?.record(event);
        if (event.type === 'failed') failedFiles += 1;
      },
      error: (error: unknown) => {
        cliLog.fail(error instanceof Error ? error.message : String(error));
        finish();
      },
      complete: finish,
    });
    subscription.add(statsSubscription);
    subscription.add(logSubscription);
    subscription.add(events$.connect());
  });
}

/** Logs an event when the verbosity asks for it: `--quiet` keeps only trouble, `--verbose` and JSON keep every event (JSON with skips summed, unless `--verbose`). */
function logEvent(event: Logged, config: AgentConfig, log: (line: string) => void): void {
  if (config.quiet && !loggedWhenQuiet.has(event.type)) return;
  if (config.verbose || config.logFormat === 'json' || alwaysLogged.has(event.type)) log(formatLogLine(event, config.logFormat));
}
