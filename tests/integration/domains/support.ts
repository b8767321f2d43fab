import http from 'node:http';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { s3Client } from '../../../functions/src/adapters/aws/clients.ts';
import { NodeDnsResolver } from '../../../functions/src/adapters/dns/node.ts';
import { LocalDomainAttachments } from '../../../functions/src/adapters/domain-attachments/local.ts';
import { EmulatorEdgeStore } from '../../../functions/src/adapters/edge-store/emulator.ts';
import { Alias } from '../../../functions/src/core/alias/index.ts';
import { override } from '../../../functions/src/core/context.ts';
import { Deployment, type DeploymentInfo } from '../../../functions/src/core/deployment/index.ts';
import { compileBuildOutputConfig } from '../../../functions/src/core/routing/config.ts';
import { buildDeploymentIndex, deploymentIndexKey } from '../../../functions/src/core/routing/deployment-index.ts';
import { config } from '../../../functions/src/lib/config.ts';
import { startDnsServer, type LocalDnsServer } from '../../../local/dns-server.ts';
import { createEdgeServer } from '../../../local/edge.ts';
import { freePort } from '../../../local/emulator.ts';
import { type Api, type Client, startApi, upload } from '../api/harness.ts';

/** The routing endpoint custom domains point at in these tests (a name in the test DNS zone). */
export const TARGET = 'edge.runway.test';
export const EDGE_ADDRESS = '127.0.0.1';

/**
 * The platform as a custom domain meets it: the API (real handlers behind the local gateway), a
 * real authoritative DNS server on loopback the domain checks resolve through, the attachments'
 * local twin, the emulator's edge store and the local edge server running the real CloudFront
 * function over it.
 */
export interface DomainWorld {
  api: Api;
  dns: LocalDnsServer;
  attachments: LocalDomainAttachments;
  edgeBase: string;
  close(): Promise<void>;
}

export async function startDomainWorld(): Promise<DomainWorld> {
  const api = await startApi();
  const dns = await startDnsServer();
  dns.set(TARGET, 'A', [EDGE_ADDRESS]);
  const resolver = new NodeDnsResolver({ servers: [dns.address] });
  const attachments = new LocalDomainAttachments(resolver, TARGET);
  const store = new EmulatorEdgeStore();
  const restore = override({ edgeStore: store, dns: resolver, domainAttachments: attachments });
  const edge = createEdgeServer({ store, kvsCacheMs: 0 });
  const port = await freePort();
  await new Promise<void>((resolve) => edge.listen(port, '127.0.0.1', resolve));
  return {
    api,
    dns,
    attachments,
    edgeBase: `http://127.0.0.1:${port}`,
    close: async () => {
      restore();
      await new Promise((resolve) => edge.close(resolve));
      await dns.close();
      await api.close();
    },
  };
}

/** What a visitor of `host` gets from the local edge (redirects not followed). */
export async function visit(world: DomainWorld, host: string, path = '/'): Promise<{ status: number; body: string; location: string | null }> {
  return new Promise((resolve, reject) => {
    const url = new URL(world.edgeBase);
    const req = http.request({ host: url.hostname, port: url.port, path, headers: { host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), location: res.headers.location ?? null }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls `probe` until it returns a value (no fixed sleeps); fails after `timeoutMs`. */
export async function until<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`condition not met in ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}

/**
 * A READY deployment whose files are in storage where the edge reads them (`d/<id>/…`, what a
 * build's finalize copies), moved onto its production and branch hosts as a finished build is
 * (`Alias.follow`).
 */
export async function servedDeployment(
  c: Client,
  project: { id: string; teamId: string; name: string },
  options: { target?: 'production' | 'preview'; branch?: string; html: string },
): Promise<DeploymentInfo> {
  const files = await upload(c, { 'index.html': options.html });
  const created = await Deployment.create({
    teamId: project.teamId,
    project,
    target: options.target ?? 'production',
    source: { type: 'files', files },
    ...(options.branch ? { branch: options.branch } : {}),
  });
  // What finalize writes for a READY deployment: its index (config + path → blob), over the team's blobs.
  const index = buildDeploymentIndex({
    deploymentId: created.id,
    teamId: project.teamId,
    manifest: { framework: 'static', files: Object.fromEntries(files.map((f) => [f.file, { sha: f.sha, size: f.size, contentType: 'text/html; charset=utf-8' }])) },
    config: compileBuildOutputConfig({ files: files.map((f) => f.file) }),
  });
  await s3Client().send(
    new PutObjectCommand({ Bucket: config().RUNWAY_ARTIFACT_BUCKET, Key: deploymentIndexKey(created.id), Body: JSON.stringify(index), ContentType: 'application/json' }),
  );
  await Deployment.transition(created.id, { from: ['QUEUED'], to: 'BUILDING' });
  const ready = await Deployment.transition(created.id, { from: ['BUILDING'], to: 'READY' });
  return Alias.follow(project, ready);
}
