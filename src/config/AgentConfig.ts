/**
 * Everything the agent can be told, after merging flags, environment, config file and defaults.
 *
 * Fields without a sensible default (where to watch, where to send, credentials) are optional;
 * the CLI decides which a command needs. Durations are in seconds, as a person types them.
 *
 * ```ts
 * import type { Command } from 'commander';
 * declare const program: Command, defaults: AgentConfig;
 * const { config } = loadConfig({ file: 'haste.json', env: process.env, flags: program.opts(), defaults });
 * config.uploadSlots; // number
 * ```
 */
export interface AgentConfig {
  /** Folder to watch. */
  readonly path?: string;
  /** Extensions to send (`['png', 'tif']`); every file when absent. */
  readonly include?: readonly string[];
  /** Stream tag the gateway files the uploads under. */
  readonly tag?: string;
  /** Gateway, `host:port` or an http(s) URL. */
  readonly host?: string;
  readonly username?: string;
  /** Prefer `passwordFile` or `HASTE_PASSWORD`: flags show up in `ps`. */
  readonly password?: string;
  /** File whose first line is the password. */
  readonly passwordFile?: string;
  /**
   * Uploads in flight at once, under the name the original agent's users know; when set it
   * takes the place of `uploadSlots`.
   */
  readonly concurrency?: number;
  /** Which scheduler decides what to reduce and in which order. */
  readonly mode: 'none' | 'fifo' | 'splines' | 'oracle' | 'adaptive';
  /** CPU cores for reduction. */
  readonly cores: number;
  /** Uploads in flight at once. */
  readonly uploadSlots: number;
  /** Reduce files locally when it pays. */
  readonly reduce: boolean;
  /** Reducer tolerance (how much background noise counts as background), >= 0. */
  readonly tolerance: number;
  /** The reducer's PNG setting: `auto` (chosen per stream from measured scores and the uplink), `fast`, `default` or `small`. */
  readonly pngEffort: 'auto' | 'fast' | 'default' | 'small';
  /** Folder for the spool and the record of what was sent. */
  readonly stateDir?: string;
  /** Send files again even if the state says they were sent. */
  readonly resend: boolean;
  /** Remove originals once the gateway has acknowledged them. */
  readonly deleteAfterUpload: boolean;
  /** Retries per file after the first attempt. */
  readonly maxRetries: number;
  /** PEM file of extra CA certificates for the gateway's TLS. */
  readonly ca?: string;
  readonly logFormat: 'human' | 'json';
  readonly quiet: boolean;
  readonly verbose: boolean;
  /** Port for `/metrics`; no metrics server when absent. 0 picks a free port. */
  readonly metricsPort?: number;
  /** Seconds between plain status lines when stderr is not a terminal. */
  readonly statusInterval: number;
  /** Seconds that uploads in flight may take to finish after SIGINT/SIGTERM before they are aborted. */
  readonly grace: number;
  /** The gateway stream to post to; by default a new one per run, or the interrupted run's while files are pending. */
  readonly streamId?: string;
  /** Longest wait between retries in seconds, before jitter; a Retry-After may ask for longer. */
  readonly retryCap: number;
  /**
   * Milliseconds between polls of the folder, instead of the OS's file events: for network
   * shares (SMB, NFS), where no events arrive. Polling re-reads every folder, so it costs more
   * the more files they hold. Events when absent.
   */
  readonly poll?: number;
  /**
   * Milliseconds a file must keep its size and mtime before it is sent. Raise it for a writer
   * that pauses longer than this mid-file, or each pause sends a truncated version.
   */
  readonly settleMs: number;
  /**
   * Seconds between walks of the folder that catch files whose watcher event was lost (an
   * inotify queue overflow, a network share); 0 turns them off. Each walk looks only in folders
   * that changed since the last one, and at everything every 10th time.
   */
  readonly rescan: number;
  /**
   * Batch mode: send what is in the folder (and, with `idleExit`, what arrives until it has been
   * quiet that long), then exit once every file taken is acknowledged or failed.
   */
  readonly once: boolean;
  /** Seconds without a new file after which a batch run stops taking files; implies `once`. */
  readonly idleExit?: number;
  /**
   * NATS server URLs (any of a cluster's): store each file as an object in a JetStream
   * object-store bucket instead of posting it to a HASTE gateway.
   */
  readonly nats?: readonly string[];
  /** The object-store bucket, created when missing (default `haste`). */
  readonly bucket?: string;
  /** Replicas of a bucket the agent creates (default 1; 3 on a cluster). */
  readonly replicas?: number;
  /** Size limit in bytes of a bucket the agent creates: when full, files wait and are retried. */
  readonly bucketMaxBytes?: number;
  /** NATS `.creds` file (JWT and nkey seed). */
  readonly natsCreds?: string;
  /** NATS user name, with `natsPassword` or `natsPasswordFile`. */
  readonly natsUser?: string;
  /** NATS password: from `NATS_PASSWORD` or the config file; never a flag. */
  readonly natsPassword?: string;
  /** File whose first line is the NATS password. */
  readonly natsPasswordFile?: string;
}
