import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { AgentConfig } from '../config/AgentConfig.js';
import { openNatsBucket, type NatsBucket, type NatsCredentials } from '../sinks/openNatsBucket.js';
import { messageOf } from '../validation.js';

/** The bucket used when `--nats` is given without `--bucket`. */
export const defaultBucket = 'haste';

/**
 * Adds the NATS sink's options to a command. Credentials come from a file or the environment
 * (`NATS_CREDS`, `NATS_USER`, `NATS_PASSWORD`), never from argv, which `ps` shows.
 */
export function addNatsOptions(command: Command, purpose: 'agent' | 'consume'): Command {
  const sink = purpose === 'agent';
  return command
    .option('--nats <urls>', `${sink ? 'store files in a NATS JetStream object-store bucket instead of a gateway: ' : ''}server URLs, comma-separated (env NATS_URL)`)
    .option('--bucket <name>', `object-store bucket${sink ? ', created when missing' : ''} (default: "${defaultBucket}")`)
    .option('--replicas <n>', 'replicas of a bucket created here: 1, or 3 on a cluster (default: 1)')
    .option('--bucket-max-bytes <bytes>', 'size limit of a bucket created here; when full, files wait and are retried (default: unlimited)')
    .option('--nats-creds <file>', 'NATS credentials file (JWT and nkey seed) (env NATS_CREDS)')
    .option('--nats-user <name>', 'NATS user, with NATS_PASSWORD or --nats-password-file (env NATS_USER)')
    .option('--nats-password-file <file>', 'read the NATS password from the first line of this file');
}

/** The credentials the config names, reading a password file; a message when they are incomplete. */
export async function natsCredentials(config: AgentConfig): Promise<{ credentials?: NatsCredentials; problem?: string }> {
  if (config.natsCreds !== undefined) {
    if (config.natsUser !== undefined) return { problem: 'give either --nats-creds or --nats-user, not both' };
    return { credentials: { credsFile: config.natsCreds } };
  }
  let password = config.natsPassword;
  if (password === undefined && config.natsPasswordFile !== undefined) {
    try {
      password = (await readFile(config.natsPasswordFile, 'utf8')).split(/\r?\n/)[0];
    } catch (error) {
      return { problem: `cannot read the NATS password file ${config.natsPasswordFile}: ${(error as NodeJS.ErrnoException).code ?? messageOf(error)}` };
    }
  }
  if (config.natsUser === undefined) {
    return password === undefined ? {} : { problem: 'a NATS password was given without --nats-user (or NATS_USER)' };
  }
  if (password === undefined || password === '') return { problem: 'missing the NATS password (NATS_PASSWORD or --nats-password-file) for --nats-user' };
  return { credentials: { user: config.natsUser, password } };
}

/** Opens the bucket the config names, or returns the message to print. */
export async function openConfiguredBucket(config: AgentConfig, name: string): Promise<NatsBucket | string> {
  const { credentials, problem } = await natsCredentials(config);
  if (problem !== undefined) return problem;
  try {
    return await openNatsBucket({
      servers: config.nats ?? [],
      bucket: config.bucket ?? defaultBucket,
      ...(config.replicas === undefined ? {} : { replicas: config.replicas }),
      ...(config.bucketMaxBytes === undefined ? {} : { maxBytes: config.bucketMaxBytes }),
      ...(credentials === undefined ? {} : { credentials }),
      name,
    });
  } catch (error) {
    return messageOf(error);
  }
}
