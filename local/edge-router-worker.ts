import { parentPort, workerData } from 'node:worker_threads';
import type { CloudFrontRequest } from 'aws-lambda';
import { createOriginRequestHandler } from '../functions/src/edge/origin-request.ts';
import { IndexCache } from '../functions/src/edge/serve.ts';
import type { RouterWorkerData, ToMain, ToWorker } from './edge-router-pool.ts';

/**
 * One routing thread of the local edge (local/edge-router-pool.ts): the real origin-request
 * handler over its own index cache. Index texts come from the main thread (which reads them through
 * its S3 origin), so each deployment's index is parsed and its routes prepared once per thread.
 * One task at a time; a task that runs past the pool's bound gets this thread terminated.
 */
const port = parentPort!;
const data = workerData as RouterWorkerData;
const reads = new Map<number, { resolve: (text: string | undefined) => void; reject: (error: Error) => void }>();
let nextRead = 0;
const indexes = new IndexCache(
  (key) =>
    new Promise((resolve, reject) => {
      const rid = nextRead++;
      reads.set(rid, { resolve, reject });
      port.postMessage({ type: 'read', rid, key } satisfies ToMain);
    }),
  data.maxCachedIndexes,
);
const originRequest = createOriginRequestHandler(indexes, data.routeOptions === undefined ? {} : { routeOptions: data.routeOptions });

port.on('message', (message: ToWorker) => {
  if (message.type === 'read') {
    const waiting = reads.get(message.rid);
    reads.delete(message.rid);
    if (message.error !== undefined) waiting?.reject(new Error(message.error));
    else waiting?.resolve(message.text);
    return;
  }
  originRequest(JSON.parse(message.request) as CloudFrontRequest).then(
    (result) => port.postMessage({ type: 'done', id: message.id, result: JSON.stringify(result) } satisfies ToMain),
    (error: unknown) => port.postMessage({ type: 'failed', id: message.id, message: error instanceof Error ? error.message : String(error) } satisfies ToMain),
  );
});
port.postMessage({ type: 'ready' } satisfies ToMain);
