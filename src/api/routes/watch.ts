// GET /v1/watch?prefix=|key=&fromRevision=: a stream of changes to one key or a prefix (NDJSON, or
// Server-Sent Events when the client accepts text/event-stream) read from the replicated watch history, so any replica serves the same
// stream and a client resumes anywhere from the last revision it saw + 1. A start older than the
// compaction window is 410 `compacted`. Watches are limited per node and per client address.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { KvService } from '../service.js';
import { ApiError } from '../errors.js';
import { checkKey, checkPrefix } from '../keys.js';
import { WatchFrame, WatchHeaders, WatchQuery } from '../schemas.js';
import { errorResponses, HEADERS } from '../responses.js';
import { compactedError } from '../results.js';
import { Type } from '@fastify/type-provider-typebox';
import { firstWatchPage, intervalTimer, WatchStream, type WatchTarget } from '../watch-stream.js';
import { Counter, Gauge, type Registry } from 'prom-client';

export const WATCHES_PER_NODE_MAX = 1_024;
export const WATCHES_PER_ADDRESS_MAX = 64;

function targetOf(query: { key?: string; prefix?: string }): WatchTarget {
  if (query.key !== undefined && query.prefix !== undefined)
    throw new ApiError(400, 'bad_request', 'querystring: give key or prefix, not both');
  if (query.key !== undefined) return { key: checkKey('querystring/key', query.key) };
  return { prefix: checkPrefix('querystring/prefix', query.prefix ?? '') };
}

const WATCH_SCHEMA = {
  operationId: 'watch',
  summary: 'Stream the changes to one key or a prefix from a revision on, without end',
  tags: ['watch'],
  querystring: WatchQuery,
  headers: WatchHeaders,
  response: {
    200: {
      description:
        'a stream of frames, one per revision that changed a watched key; an idle stream sends a progress frame (no events) every 10 s',
      headers: HEADERS.revision,
      content: {
        'application/x-ndjson': { schema: WatchFrame },
        'text/event-stream': {
          schema: Type.String({ description: 'Server-Sent Events: `id: <revision>` and `data: <frame as JSON>` per frame' }),
        },
      },
    },
    ...errorResponses({ 400: ['invalid_key'], 410: ['compacted'], 429: ['too_many_watches'], 503: ['too_many_watches'] }),
  },
};

/** Reading from past the end yields no history, only the store revision: where "from now on" starts. */
const REVISION_PAST_END = Number.MAX_SAFE_INTEGER;

export const watchRoutes: FastifyPluginAsyncTypebox<{ service: KvService; registry: Registry }> = async (app, { service, registry }) => {
  const streams = new Set<WatchStream>();
  const perAddress = new Map<string, number>();
  new Gauge({
    name: 'mrtom_watch_streams',
    help: 'Watch streams open on this node',
    registers: [registry],
    collect() {
      this.set(streams.size);
    },
  });
  const ended = new Counter({
    name: 'mrtom_watch_streams_ended_total',
    help: 'Watch streams ended, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  // Before the server stops listening, not after: it waits for open responses, and a watch never ends.
  app.addHook('preClose', async () => {
    for (const stream of streams) stream.end('server_closing');
  });

  // GET only: a HEAD would open a stream that sends nothing, for ever.
  app.get('/v1/watch', { exposeHeadRoute: false, schema: WATCH_SCHEMA }, async (request, reply) => {
    const target = targetOf(request.query);
    const address = request.ip;
    if (streams.size >= WATCHES_PER_NODE_MAX) {
      throw new ApiError(503, 'too_many_watches', `this node serves its limit of ${WATCHES_PER_NODE_MAX} watches; try another replica`, {
        'retry-after': '1',
      });
    }
    if ((perAddress.get(address) ?? 0) >= WATCHES_PER_ADDRESS_MAX) {
      throw new ApiError(429, 'too_many_watches', `at most ${WATCHES_PER_ADDRESS_MAX} watches per client address`);
    }
    const sse = (request.headers.accept ?? '').includes('text/event-stream');
    // SSE clients resume with Last-Event-ID (the last revision seen); an explicit fromRevision wins.
    const lastEventId = request.headers['last-event-id'];
    let fromRevision = request.query.fromRevision ?? (lastEventId === undefined ? undefined : lastEventId + 1);
    fromRevision ??= (await service.local.readEvents(REVISION_PAST_END, 1)).revision + 1;
    const prev = request.query.prev === true;
    const first = await firstWatchPage(service, fromRevision, prev);
    if ('compactedTo' in first) throw compactedError(fromRevision, first.compactedTo);
    const { page } = first;

    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': sse ? 'text/event-stream' : 'application/x-ndjson',
      'cache-control': 'no-store',
      // The connection belongs to this stream: when it ends (shutdown, slow consumer) the socket goes too,
      // instead of idling in keep-alive and holding up the server's close.
      connection: 'close',
      'x-mrtom-revision': String(page.revision),
    });
    // Headers go out now, not with the first frame, which may be far off for a quiet prefix.
    reply.raw.flushHeaders();
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    let stopRevokeWatch: (() => void) | undefined;
    const stream = new WatchStream(service, {
      target,
      format: sse ? 'sse' : 'ndjson',
      out: reply.raw,
      first: { fromRevision, page },
      prev,
      every: intervalTimer,
      onEnd: (reason) => {
        stopRevokeWatch?.();
        ended.inc({ reason });
        streams.delete(stream);
        const left = (perAddress.get(address) ?? 1) - 1;
        if (left === 0) perAddress.delete(address);
        else perAddress.set(address, left);
      },
    });
    streams.add(stream);
    // With auth on, the stream lasts only as long as its token.
    stopRevokeWatch = request.auth?.whenRevoked(() => stream.end('token_revoked'));
  });
};
