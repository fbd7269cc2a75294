// Serves the pages' bundled scripts and style sheets (./bundle.ts) at /assets/<name>.
//
// Files, because the CSP allows no inline script or style. They hold no personal data, so they may
// be cached: revalidated by ETag (a content hash), compressed (brotli or gzip, as the browser
// accepts) by @fastify/compress, registered inside this plugin only so API answers and event
// streams are left alone.

import { createHash } from 'node:crypto';
import fastifyCompress from '@fastify/compress';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { loadWebAssets } from './bundle.ts';

export const webAssetRoutes = (): FastifyPluginAsyncZod => async (app) => {
  const assets = new Map((await loadWebAssets()).map((asset) => [asset.name, { ...asset, etag: `"${createHash('sha256').update(asset.content).digest('base64url').slice(0, 22)}"` }]));
  await app.register(fastifyCompress, { threshold: 1024, encodings: ['br', 'gzip'] });
  app.get(
    '/assets/:name',
    { schema: { hide: true, params: z.object({ name: z.string().max(64) }) } },
    async (request, reply) => {
      // A Map of the files built: a name is looked up, never joined into a path.
      const asset = assets.get(request.params.name);
      if (!asset) return reply.callNotFound();
      reply.header('etag', asset.etag).header('cache-control', 'no-cache').header('vary', 'accept-encoding');
      if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
      return reply.type(asset.contentType).send(asset.content);
    },
  );
};
