import type { CloudFrontResponseHandler } from 'aws-lambda';
import { createOriginResponseHandler } from './origin-response.ts';

/** Lambda@Edge origin-response entry point (no I/O: the answer travels in the request). */
const handle = createOriginResponseHandler();
export const handler: CloudFrontResponseHandler = (event) => handle(event);
