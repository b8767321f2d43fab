/**
 * What AWS accepts on the way to an HTTP handler. The local gateway (local/gateway.ts) enforces
 * the same numbers, and every route's body cap (`maxBodyBytes`) stays below them, so a request
 * that AWS would refuse fails locally too.
 */

/**
 * HTTP API "Payload size" quota: 10 MB, not adjustable; API Gateway itself answers 413.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
 */
export const HTTP_API_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/**
 * HTTP API "Maximum integration timeout": 30 seconds, not adjustable; a Lambda still running
 * then is cut off and the client gets 503 Service Unavailable.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
 */
export const HTTP_API_INTEGRATION_TIMEOUT_MS = 30_000;

/**
 * Lambda's synchronous invocation payload: "For synchronous invocations, the maximum payload
 * size is 6 MB" (https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html). The payload is
 * the whole payload 2.0 event, and API Gateway base64-encodes a binary body into it
 * (`isBase64Encoded`, https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html),
 * so a binary body grows by 4/3 on the way in.
 */
export const LAMBDA_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;

/**
 * Largest binary body a route accepts (`POST /v1/files`): 4 MiB base64-encode to 5.33 MiB,
 * leaving ~680 KB of the 6 MB invoke payload for headers and the event's envelope (request line
 * and headers are at most 10,240 bytes on an HTTP API). Larger files go straight to S3.
 */
export const MAX_BINARY_BODY_BYTES = 4 * 1024 * 1024;

/** Largest JSON body a route accepts: JSON is passed as text (not base64), so 5 MiB fits 6 MB. */
export const MAX_JSON_BODY_BYTES = 5 * 1024 * 1024;
