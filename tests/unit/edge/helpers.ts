import { fileURLToPath } from 'node:url';
import {
  loadCloudFrontFunction,
  toResult,
  viewerRequestEvent,
  viewerResponseEvent,
  type CfRequest,
  type CfResult,
} from '../../../local/cloudfront-sandbox.ts';

export const VIEWER_REQUEST = fileURLToPath(new URL('../../../functions/src/edge/viewer-request.js', import.meta.url));
export const VIEWER_RESPONSE = fileURLToPath(new URL('../../../functions/src/edge/viewer-response.js', import.meta.url));
export const CONSOLE_REQUEST = fileURLToPath(new URL('../../../functions/src/edge/console-request.js', import.meta.url));
export const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

export const DOMAIN = 'runway.example.com';

/** An in-memory KeyValueStore holding the given host entries. */
export function memoryKvs(entries: Record<string, string> = {}) {
  const map = new Map(Object.entries(entries));
  return {
    map,
    get: async (key: string) => map.get(key),
    /** Point `host` at `deploymentId`, as an alias write does. */
    deploy(host: string, deploymentId: string): void {
      map.set(host, deploymentId);
    },
  };
}

export interface Edge {
  request(input: { host?: string; uri: string; querystring?: string; headers?: Record<string, string> }): Promise<CfResult>;
  /** viewer-request, then viewer-response for an origin answer with `status` and `headers`. */
  response(
    input: { host: string; uri: string },
    origin: { statusCode: number; headers?: Record<string, string> },
  ): Promise<Record<string, string>>;
}

/** The real viewer-request and viewer-response sources, run in the sandbox against `kvs`. */
export function edge(kvs: { get: (key: string) => Promise<string | undefined> }): Edge {
  const viewerRequest = loadCloudFrontFunction(VIEWER_REQUEST, kvs.get);
  const viewerResponse = loadCloudFrontFunction(VIEWER_RESPONSE, kvs.get);
  return {
    async request(input) {
      return toResult(await viewerRequest.handle(viewerRequestEvent(input)));
    },
    async response(input, origin) {
      const result = toResult(await viewerRequest.handle(viewerRequestEvent(input)));
      if (result.kind !== 'request') throw new Error(`viewer-request answered ${result.response.statusCode}`);
      const out = toResult(await viewerResponse.handle(viewerResponseEvent(result.request as CfRequest, origin)));
      if (out.kind !== 'response') throw new Error('viewer-response returned no response');
      return Object.fromEntries(Object.entries(out.response.headers).map(([k, v]) => [k, v.value]));
    },
  };
}
