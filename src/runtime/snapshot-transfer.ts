// Moves a store snapshot between replicas over HTTP (the peer listener, peer-server.ts): the serving side streams length-prefixed frames
// (u32 key bytes, key, u32 value bytes, value) from one LevelDB iterator; the fetching side stages the
// whole stream in a file first, checks it, and only then hands it to KvStore.installSnapshot. A transfer
// cut off by a peer crash or a partition therefore never touches the state it was meant to replace;
// neither side holds the whole state in memory.
import type { FastifyPluginAsync } from 'fastify';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PeerClient } from './peer-client.js';
import type { SnapshotRecord } from '../store/snapshot.js';
import type { StagedSnapshot } from './ports.js';

export const SNAPSHOT_PATH = '/internal/v1/snapshot';
/** A snapshot transfer that takes longer than this is abandoned and asked for again. */
const SNAPSHOT_TIMEOUT_MS = 120_000;
/** No single key or value of ours comes near this; a bigger length means a corrupt stream. */
const FRAME_PART_BYTES_MAX = 64 * 1024 * 1024;

async function* frames(records: AsyncIterable<SnapshotRecord>): AsyncGenerator<Buffer> {
  for await (const [key, value] of records) {
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32BE(key.byteLength);
    const valueHead = Buffer.allocUnsafe(4);
    valueHead.writeUInt32BE(value.byteLength);
    yield Buffer.concat([head, key, valueHead, value]);
  }
}

/** Serves this replica's state; `snapshot` reads it through one iterator (StateStore.snapshot). */
export const snapshotRoutes: FastifyPluginAsync<{ snapshot: () => AsyncIterable<SnapshotRecord> }> = async (app, { snapshot }) => {
  app.get(SNAPSHOT_PATH, async (_request, reply) => {
    reply.type('application/octet-stream');
    return reply.send(Readable.from(frames(snapshot())));
  });
};

/** Parses frames from a byte stream, however the chunks split them. */
export async function* parseFrames(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<SnapshotRecord> {
  let buffered = Buffer.alloc(0);
  for await (const chunk of chunks) {
    buffered = buffered.length === 0 ? Buffer.from(chunk) : Buffer.concat([buffered, chunk]);
    for (;;) {
      if (buffered.length < 4) break;
      const keyBytes = buffered.readUInt32BE(0);
      if (keyBytes > FRAME_PART_BYTES_MAX) throw new Error(`snapshot frame key of ${keyBytes} bytes`);
      if (buffered.length < 8 + keyBytes) break;
      const valueBytes = buffered.readUInt32BE(4 + keyBytes);
      if (valueBytes > FRAME_PART_BYTES_MAX) throw new Error(`snapshot frame value of ${valueBytes} bytes`);
      const end = 8 + keyBytes + valueBytes;
      if (buffered.length < end) break;
      yield [new Uint8Array(buffered.subarray(4, 4 + keyBytes)), new Uint8Array(buffered.subarray(8 + keyBytes, end))];
      buffered = buffered.subarray(end);
    }
  }
  if (buffered.length > 0) throw new Error(`snapshot stream ended inside a frame (${buffered.length} bytes left)`);
}

/** Fetches replica `from`'s whole snapshot from its peer listener into `stagingPath` and checks every
 *  frame before handing it over. */
export async function fetchSnapshot(peers: PeerClient, from: number, stagingPath: string): Promise<StagedSnapshot> {
  const discard = (): Promise<void> => rm(stagingPath, { force: true });
  try {
    const res = await peers.get(from, SNAPSHOT_PATH, SNAPSHOT_TIMEOUT_MS);
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`snapshot from ${peers.baseUrlOf(from)} answered ${res.statusCode}`);
    }
    await pipeline(res.body, createWriteStream(stagingPath));
    // A whole, well-formed stream before anything is replaced (parseFrames throws on a torn one).
    for await (const record of parseFrames(createReadStream(stagingPath))) void record;
  } catch (err) {
    await discard();
    throw err;
  }
  return { records: () => parseFrames(createReadStream(stagingPath)), discard };
}
