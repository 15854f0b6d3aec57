import { readFile } from 'node:fs/promises';
import { connect, credsAuthenticator, type Authenticator, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { Objm, StorageType, type ObjectStore } from '@nats-io/obj';
import { integerAtLeast, messageOf, nonEmptyString, objectOption } from '../validation.js';
import { natsErrorStatus } from './natsErrorStatus.js';

/** How to prove who we are to the NATS servers; absent means no authentication. */
export type NatsCredentials =
  | { readonly user: string; readonly password: string }
  | { readonly token: string }
  /** A `.creds` file (JWT and nkey seed, as `nsc` writes it). */
  | { readonly credsFile: string };

/** Options for {@link openNatsBucket}. */
export interface OpenNatsBucketOptions {
  /** One server URL, a comma-separated list, or an array (`nats://host:4222`); any one of a cluster will do. */
  readonly servers: string | readonly string[];
  /** The object-store bucket: letters, digits, `_` and `-`. */
  readonly bucket: string;
  /** Replicas of a bucket this call creates (1, or 3 on a cluster). @default 1 */
  readonly replicas?: number;
  /**
   * Size limit in bytes of a bucket this call creates, so the cluster stays a buffer and not
   * an archive: a full bucket refuses new objects (they are retried) and never drops old ones.
   * @default unlimited
   */
  readonly maxBytes?: number;
  /** @default no authentication */
  readonly credentials?: NatsCredentials;
  /** Connection name the servers show in their monitoring. @default 'haste-agent' */
  readonly name?: string;
  /**
   * How long to keep retrying to open or create the bucket while the servers time out (a
   * cluster electing a leader); refused credentials and other answers fail at once.
   * @default 30000
   */
  readonly openTimeoutMs?: number;
}

/** An open connection and the bucket it reaches; see {@link openNatsBucket}. */
export interface NatsBucket {
  readonly connection: NatsConnection;
  readonly store: ObjectStore;
  readonly bucket: string;
  /** `bucket "name" on nats://…`, for messages. */
  readonly describe: string;
  /** Flushes and closes the connection. */
  close(): Promise<void>;
}

/** Thrown by {@link openNatsBucket} with what to fix; `status` is 401 for refused credentials. */
export class NatsSetupError extends Error {
  override readonly name = 'NatsSetupError';
  constructor(message: string, readonly status: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const bucketPattern = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Connects to NATS and opens an object-store bucket, creating it when it is missing.
 *
 * The connection reconnects for ever (a cluster losing a node, a server restart): puts made
 * meanwhile fail with a timeout and are retried by the caller. Opening the bucket is retried
 * for up to `openTimeoutMs` while the servers time out (a cluster electing a leader). A bucket that exists is used
 * as it is (its replicas and size limit are not changed). Refused credentials reject with a
 * {@link NatsSetupError} of status 401 that says which credentials were used, never their value.
 *
 * @example
 * ```ts
 * const bucket = await openNatsBucket({ servers: 'nats://127.0.0.1:4222', bucket: 'frames', replicas: 3 });
 * console.log((await bucket.store.status()).size);
 * await bucket.close();
 * ```
 *
 * @param options Where, which bucket, and how to authenticate.
 * @returns The connection and the bucket's object store.
 */
export async function openNatsBucket(options: OpenNatsBucketOptions): Promise<NatsBucket> {
  objectOption('options', options);
  const servers = serverList(options.servers);
  const bucket = nonEmptyString('bucket', options.bucket);
  if (!bucketPattern.test(bucket)) throw new TypeError(`Expected \`bucket\` to be 1-64 letters, digits, _ or -, got ${JSON.stringify(bucket)}`);
  const replicas = integerAtLeast('replicas', options.replicas ?? 1, 1);
  const maxBytes = options.maxBytes === undefined ? -1 : integerAtLeast('maxBytes', options.maxBytes, 1);
  const openTimeoutMs = integerAtLeast('openTimeoutMs', options.openTimeoutMs ?? 30_000, 0);
  const where = servers.join(',');
  const connection = await connect({
    servers,
    name: options.name ?? 'haste-agent',
    maxReconnectAttempts: -1,
    ...(await authOptions(options.credentials)),
  }).catch((error: unknown) => {
    const status = natsErrorStatus(error);
    if (status === 401 || status === 403) {
      throw new NatsSetupError(`NATS ${where} refused the credentials (${describeCredentials(options.credentials)}): ${messageOf(error)}`, status, { cause: error });
    }
    throw new NatsSetupError(`Could not connect to NATS ${where}: ${messageOf(error)}`, 0, { cause: error });
  });
  try {
    const objm = new Objm(connection);
    const openOrCreate = () =>
      objm.open(bucket).catch(async (error: unknown) => {
        if (!/not found/i.test(messageOf(error))) throw error;
        return objm.create(bucket, { replicas, max_bytes: maxBytes, storage: StorageType.File });
      });
    // A cluster that is electing a leader (it just lost a node, or is starting) times out its
    // first requests for several seconds: keep asking until openTimeoutMs is spent.
    const deadline = Date.now() + openTimeoutMs;
    let store;
    for (;;) {
      try {
        store = await openOrCreate();
        break;
      } catch (error) {
        if (natsErrorStatus(error) !== 0 || Date.now() >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    return {
      connection,
      store,
      bucket,
      describe: `bucket "${bucket}" on ${where}`,
      close: () => connection.close(),
    };
  } catch (error) {
    await connection.close().catch(() => undefined);
    const status = natsErrorStatus(error);
    throw new NatsSetupError(`Could not open or create ${`bucket "${bucket}"`} on NATS ${where}: ${messageOf(error)}`, status, { cause: error });
  }
}

function serverList(servers: string | readonly string[]): string[] {
  const list = (typeof servers === 'string' ? servers.split(',') : Array.isArray(servers) ? servers : [])
    .map((server: unknown) => (typeof server === 'string' ? server.trim() : ''))
    .filter((server: string) => server !== '');
  if (list.length === 0) throw new TypeError(`Expected \`servers\` to name at least one NATS server, got ${JSON.stringify(servers)}`);
  return list;
}

async function authOptions(credentials: NatsCredentials | undefined): Promise<Partial<ConnectionOptions>> {
  if (credentials === undefined) return {};
  if ('credsFile' in credentials) {
    let text: Uint8Array;
    try {
      text = await readFile(credentials.credsFile);
    } catch (error) {
      throw new NatsSetupError(`Cannot read the NATS credentials file ${credentials.credsFile}: ${messageOf(error)}`, 0, { cause: error });
    }
    const authenticator: Authenticator = credsAuthenticator(text);
    return { authenticator };
  }
  if ('token' in credentials) return { token: credentials.token };
  return { user: credentials.user, pass: credentials.password };
}

function describeCredentials(credentials: NatsCredentials | undefined): string {
  if (credentials === undefined) return 'none were given';
  if ('credsFile' in credentials) return `the credentials file ${credentials.credsFile}`;
  if ('token' in credentials) return 'a token';
  return `user "${credentials.user}" and its password`;
}
