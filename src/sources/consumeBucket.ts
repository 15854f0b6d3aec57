import { jetstreamManager, type StoredMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Objm, type ObjectInfo, type ObjectResult } from '@nats-io/obj';
import { asyncScheduler, Observable, type SchedulerLike } from 'rxjs';
import { functionOption, integerAtLeast, messageOf, nonEmptyString, objectOption } from '../validation.js';

/** One object of the bucket, as {@link consumeBucket} hands it to `deliver`. */
export interface BucketObject {
  /** The object's record: name, size, digest (`SHA-256=…`), headers. */
  readonly info: ObjectInfo;
  /** Stream sequence of the record this delivery answers. */
  readonly seq: number;
  /** The object's headers (`X-HASTE-tag`, …), first value of each. */
  readonly headers: Readonly<Record<string, string>>;
  /** Opens the object's bytes (its current revision); the client checks them against the digest. */
  open(): Promise<ObjectResult | null>;
}

/** What became of one object: handed on, skipped, or failed and to be tried again. */
export type ConsumeEvent =
  | { readonly type: 'delivered'; readonly name: string; readonly size: number; readonly seq: number; readonly detail: string }
  | { readonly type: 'skipped'; readonly name: string; readonly seq: number; readonly reason: string }
  | { readonly type: 'failed'; readonly name: string; readonly seq: number; readonly error: string; readonly retryInMs: number };

/** Options for {@link consumeBucket}. */
export interface ConsumeBucketOptions {
  readonly connection: NatsConnection;
  /** The object-store bucket to follow. */
  readonly bucket: string;
  /**
   * The stream sequence of the last object record already handled (what `deliver` recorded
   * durably, e.g. `openObjectWriter`'s `lastSeq()`): following starts after it.
   * @default 0, the bucket's first object
   */
  readonly after?: number;
  /**
   * Does the work for one object and resolves once it is durable (written and synced, a
   * command run, and `seq` recorded where `after` will be read from next time). A rejection
   * tries the same object again after `retryMs`, before any later one. It must be idempotent:
   * a crash after the work but before its record repeats it.
   */
  readonly deliver: (object: BucketObject) => Promise<{ readonly detail: string } | { readonly skipped: string }>;
  /** Wait before a failed object (or a failed read of the bucket) is tried again. @default 5000 */
  readonly retryMs?: number;
  /** Wait between looks at the bucket when every object has been handled. @default 250 */
  readonly pollMs?: number;
  /** When it emits, the object in hand is finished and the Observable completes. @default never */
  readonly halt?: Observable<unknown>;
  /** Clock of the waits. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

/**
 * Follows an object-store bucket: every object stored in it after `after`, in the order
 * stored, is handed to `deliver` one at a time; the next is read only once `deliver` resolved.
 *
 * The position is the caller's durable cursor (the stream sequence of the last object record
 * handled), read from the bucket's stream `OBJ_<bucket>` with `next_by_subj` requests on its
 * record subjects `$O.<bucket>.M.>`; chunks are never read this way. An object replaced by a
 * newer revision before it is read is handed on once, as the newer one; deleted objects are
 * skipped. (Not a server-side durable consumer: on nats-server 2.9.10 such a consumer,
 * filtered on the records, skipped objects stored while no pull request was waiting, its
 * position jumping past them; each record's rollup header is the likely cause.) The Observable never completes by
 * itself; a failed read of the bucket (a leader election, a lost connection) is retried after
 * `retryMs`. `halt` ends it cleanly, after the object in hand.
 *
 * @example
 * ```ts
 * declare const bucket: NatsBucket;
 * consumeBucket({ connection: bucket.connection, bucket: 'haste', deliver: async (object) => ({ detail: object.info.name }) })
 *   .subscribe((event) => console.log(event.type, event.name));
 * ```
 *
 * @param options The connection, bucket, cursor and what to do with each object.
 * @returns One event per object record handled or failed.
 */
export function consumeBucket(options: ConsumeBucketOptions): Observable<ConsumeEvent> {
  objectOption('options', options);
  objectOption('connection', options.connection);
  const bucket = nonEmptyString('bucket', options.bucket);
  const deliver = functionOption<ConsumeBucketOptions['deliver']>('deliver', options.deliver);
  const retryMs = integerAtLeast('retryMs', options.retryMs ?? 5000, 0);
  const pollMs = integerAtLeast('pollMs', options.pollMs ?? 250, 1);
  let cursor = integerAtLeast('after', options.after ?? 0, 0);
  const scheduler = options.scheduler ?? asyncScheduler;
  return new Observable<ConsumeEvent>((subscriber) => {
    let stopped = false;
    let halted = false;
    let wake: (() => void) | undefined;
    if (options.halt !== undefined) {
      subscriber.add(
        options.halt.subscribe(() => {
          halted = true;
          wake?.();
        }),
      );
    }
    const sleep = (ms: number): Promise<void> =>
      new Promise((resolve) => {
        wake = resolve;
        const action = scheduler.schedule(() => resolve(), ms);
        subscriber.add(action);
      });
    const run = async (): Promise<void> => {
      const jsm = await jetstreamManager(options.connection);
      const store = await new Objm(options.connection).open(bucket);
      const stream = `OBJ_${bucket}`;
      while (!stopped && !halted) {
        let record: StoredMsg | null;
        try {
          record = await jsm.streams.getMessage(stream, { seq: cursor + 1, next_by_subj: `$O.${bucket}.M.>` } as Parameters<typeof jsm.streams.getMessage>[1]);
        } catch (error) {
          if (stopped) break;
          subscriber.next({ type: 'failed', name: `(the record after ${cursor})`, seq: cursor + 1, error: `could not read ${stream}: ${messageOf(error)}`, retryInMs: retryMs });
          await sleep(retryMs);
          continue;
        }
        if (record === null) {
          if (!halted) await sleep(pollMs);
          continue;
        }
        const event = await handleOne(record, store, deliver, retryMs);
        if (stopped) break;
        subscriber.next(event);
        if (event.type === 'failed') await sleep(retryMs);
        else cursor = record.seq;
      }
    };
    run().then(
      () => subscriber.complete(),
      (error: unknown) => subscriber.error(error),
    );
    return () => {
      stopped = true;
      wake?.();
    };
  });
}

async function handleOne(
  record: StoredMsg,
  store: { get(name: string): Promise<ObjectResult | null> },
  deliver: ConsumeBucketOptions['deliver'],
  retryMs: number,
): Promise<ConsumeEvent> {
  const { seq } = record;
  let info: ObjectInfo;
  try {
    info = record.json<ObjectInfo>();
  } catch (error) {
    return { type: 'skipped', name: record.subject, seq, reason: `not an object record: ${messageOf(error)}` };
  }
  if (info.deleted) return { type: 'skipped', name: info.name, seq, reason: 'deleted' };
  const headers = Object.fromEntries(
    Object.entries((info.headers ?? {}) as unknown as Record<string, string[]>).map(([key, values]) => [key, Array.isArray(values) ? (values[0] ?? '') : String(values)]),
  );
  try {
    const result = await deliver({ info, seq, headers, open: () => store.get(info.name) });
    return 'skipped' in result
      ? { type: 'skipped', name: info.name, seq, reason: result.skipped }
      : { type: 'delivered', name: info.name, size: info.size, seq, detail: result.detail };
  } catch (error) {
    return { type: 'failed', name: info.name, seq, error: messageOf(error), retryInMs: retryMs };
  }
}
