import { parentPort, workerData } from 'node:worker_threads';
import type { CloudFrontRequest } from 'aws-lambda';
import { createOriginRequestHandler, flatHeaders } from '../functions/src/edge/origin-request.ts';
import { answer, IndexCache } from '../functions/src/edge/serve.ts';
import type { FunctionRoute, RouterWorkerData, ToMain, ToWorker } from './edge-router-pool.ts';

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
const DEPLOYMENT_URI = /^\/d\/([\w-]{1,64})(\/.*)?$/;

/**
 * A request of a deployment with functions is routed here first: when the answer is a function,
 * the edge's main thread runs it (AWS's origin-request switches the origin to its Function URL
 * instead); any other answer goes through the origin-request handler as for every deployment
 * (which routes it again: deployments without functions pay nothing).
 */
async function route(request: CloudFrontRequest) {
  const m = DEPLOYMENT_URI.exec(request.uri);
  const deployment = m ? await indexes.get(m[1]!) : null;
  if (m && deployment && Object.keys(deployment.index.functions ?? {}).length > 0) {
    const headers = flatHeaders(request.headers);
    const path = m[2] ?? '/';
    const found = answer(deployment, { method: request.method, path, query: request.querystring, host: headers['x-runway-host'] ?? '', headers }, data.routeOptions);
    if (found.kind === 'function') return { kind: 'function', deploymentId: m[1]!, path, answer: found } satisfies FunctionRoute;
  }
  return originRequest(request);
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'read') {
    const waiting = reads.get(message.rid);
    reads.delete(message.rid);
    if (message.error !== undefined) waiting?.reject(new Error(message.error));
    else waiting?.resolve(message.text);
    return;
  }
  route(JSON.parse(message.request) as CloudFrontRequest).then(
    (result) => port.postMessage({ type: 'done', id: message.id, result: JSON.stringify(result) } satisfies ToMain),
    (error: unknown) => port.postMessage({ type: 'failed', id: message.id, message: error instanceof Error ? error.message : String(error) } satisfies ToMain),
  );
});
port.postMessage({ type: 'ready' } satisfies ToMain);
