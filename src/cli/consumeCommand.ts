import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Subject, type Subscription } from 'rxjs';
import { ConfigError } from '../config/ConfigError.js';
import { loadConfig } from '../config/loadConfig.js';
import { openObjectWriter, type ObjectWriter } from '../sinks/openObjectWriter.js';
import type { NatsBucket } from '../sinks/openNatsBucket.js';
import { consumeBucket, type ConsumeEvent } from '../sources/consumeBucket.js';
import { messageOf } from '../validation.js';
import type { CliIo } from './CliIo.js';
import { agentDefaults } from './agentCommandInternals.js';
import { addNatsOptions, openConfiguredBucket } from './natsSinkOptions.js';

/** The durable consumer's name when none is given. */
const defaultDurable = 'haste-consume';

function describeEvent(event: ConsumeEvent): string {
  switch (event.type) {
    case 'delivered':
      return `delivered ${event.name} (${event.size} bytes) -> ${event.detail}`;
    case 'skipped':
      return `skipped ${event.name}: ${event.reason}`;
    case 'failed':
      return `failed ${event.name}: ${event.error}; again in ${event.retryInMs / 1000} s`;
  }
}

/**
 * Adds `haste-agent consume <dir>`: the other end of the NATS sink. Follows the bucket from a
 * durable position (journaled in the folder) and writes each object once into it (optionally
 * running a command on it), until SIGINT or SIGTERM; a restart continues where the last run stopped.
 */
export function registerConsumeCommand(program: Command, io: CliIo): void {
  const command = program
    .command('consume')
    .description('follow a NATS object-store bucket and write each object once into a folder (the other end of --nats)')
    .argument('<dir>', 'folder the objects are written into, as <stream id>/<path>')
    .option('--durable <name>', `name of this consumer's place in the bucket, kept in <dir>/.haste-consume/<name>.journal across restarts (default: "${defaultDurable}")`)
    .option('--exec <command>', 'shell command run after each object is written, with HASTE_OBJECT_PATH, HASTE_OBJECT_NAME, HASTE_OBJECT_SHA256 and the headers in its environment; a failure retries the object')
    .option('--config <file>', 'JSON file with the NATS settings (nats, bucket, natsCreds, natsUser, natsPasswordFile)');
  addNatsOptions(command, 'consume').action(async (dir: string, flags: Record<string, unknown>) => {
    const fail = (message: string): void => {
      io.stderr.write(`haste-agent consume: ${message}\n`);
      process.exitCode = 2;
    };
    const given: Record<string, unknown> = {};
    for (const key of ['nats', 'bucket', 'replicas', 'bucketMaxBytes', 'natsCreds', 'natsUser', 'natsPasswordFile'] as const) {
      if (flags[key] !== undefined) given[key] = flags[key];
    }
    for (const key of ['natsCreds', 'natsPasswordFile'] as const) {
      if (typeof given[key] === 'string') given[key] = resolve(io.cwd, given[key] as string);
    }
    let config;
    try {
      const file = typeof flags.config === 'string' ? resolve(io.cwd, flags.config) : undefined;
      config = loadConfig({ ...(file === undefined ? {} : { file }), env: io.env, flags: given, defaults: agentDefaults }).config;
    } catch (error) {
      if (error instanceof ConfigError) return fail(error.errors.join('\n  '));
      throw error;
    }
    if (config.nats === undefined) return fail('missing --nats (or NATS_URL): the servers to consume from');
    const durable = typeof flags.durable === 'string' ? flags.durable : defaultDurable;
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(durable)) return fail(`--durable must be 1-64 letters, digits, _ or -, got ${JSON.stringify(durable)}`);
    let bucket: NatsBucket | undefined;
    let writer: ObjectWriter | undefined;
    try {
      const opened = await openConfiguredBucket(config, `haste-agent consume ${durable}`);
      if (typeof opened === 'string') return fail(opened);
      bucket = opened;
      writer = await openObjectWriter({
        dir: resolve(io.cwd, dir),
        journal: join(resolve(io.cwd, dir), '.haste-consume', `${durable}.journal`),
        ...(typeof flags.exec === 'string' ? { exec: flags.exec } : {}),
        output: io.stderr,
      });
      await follow(io, bucket, writer, fail);
    } catch (error) {
      fail(messageOf(error));
    } finally {
      await writer?.close().catch(() => undefined);
      await bucket?.close().catch(() => undefined);
    }
  });
}

/**
 * Consumes until a signal (exit 0: the object in hand is finished first; a second signal stops
 * at once, and that object is handed on again by the next run) or a failure of the consumer
 * itself (exit 2).
 */
function follow(io: CliIo, bucket: NatsBucket, writer: ObjectWriter, fail: (message: string) => void): Promise<void> {
  return new Promise((resolvePromise) => {
    const halt = new Subject<void>();
    let halting = false;
    let subscription: Subscription | undefined;
    const unlisten = io.onSignal(() => {
      if (!halting) {
        halting = true;
        halt.next();
        return;
      }
      subscription?.unsubscribe();
      finish();
    });
    const finish = (): void => {
      unlisten();
      resolvePromise();
    };
    subscription = consumeBucket({ connection: bucket.connection, bucket: bucket.bucket, after: writer.lastSeq(), halt, deliver: (object) => writer.deliver(object) }).subscribe({
      next: (event) => io.stdout.write(`${describeEvent(event)}\n`),
      error: (error: unknown) => {
        fail(`consuming ${bucket.describe} failed: ${messageOf(error)}`);
        finish();
      },
      complete: finish,
    });
  });
}
