import http from 'node:http';

/**
 * Local edge on :4001. Until the edge routing lands (issue 5) every host answers with the
 * platform's 404, which is what an unknown host gets in production too.
 */
export function createEdgeServer(): http.Server {
  return http.createServer((_req, res) => {
    const body = '<!doctype html><title>Not found</title><h1>404</h1><p>No deployment at this address.</p>';
    res.writeHead(404, { 'content-type': 'text/html; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  });
}
