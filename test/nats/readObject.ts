import type { ObjectStore } from '@nats-io/obj';

/** The whole of an object's current revision, checked against its digest by the client. */
export async function readObject(store: ObjectStore, name: string): Promise<Uint8Array> {
  const result = await store.get(name);
  if (result === null) throw new Error(`no object ${name}`);
  const parts: Uint8Array[] = [];
  for await (const chunk of result.data as unknown as AsyncIterable<Uint8Array>) parts.push(chunk);
  const failure = await result.error;
  if (failure) throw failure;
  return Buffer.concat(parts);
}
