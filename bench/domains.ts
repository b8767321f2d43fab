/**
 * `npm run bench:domains`: custom domains, locally. Writes bench/results/domains.json and the
 * "Custom domains" section of bench/RESULTS.md.
 *
 * - records published → served: the TXT and CNAME records appear in a real authoritative DNS
 *   server on loopback (dns2), the owner clicks "verify now", and the local edge (the real
 *   CloudFront function) serves the production bytes on the domain; median and p95 of N domains.
 * - CloudFront control-plane calls per add / verify / remove / promote / rollback: the real
 *   SaaS Manager adapter (CloudFrontSaasAttachments) over an SDK client that records each command
 *   it is sent (moto has no tenant API), so the figures are the adapter's own calls.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CloudFrontSaasAttachments } from '../functions/src/adapters/domain-attachments/cloudfront-saas.ts';
import { override } from '../functions/src/core/context.ts';
import { startLocalAws } from '../local/environment.ts';
import { freePort } from '../local/emulator.ts';
import { writeResultsSection } from './results-md.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const N = Number(process.env.BENCH_DOMAINS ?? 20);

const local = await startLocalAws({ port: await freePort(), mode: 'private' });
Object.assign(process.env, local.env, { POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'WARN' });
// Imported once the environment names the emulator.
const { client, newTeam, uniqueName } = await import('../tests/integration/api/harness.ts');
const { servedDeployment, startDomainWorld, TARGET, visit } = await import('../tests/integration/domains/support.ts');
const { NodeDnsResolver } = await import('../functions/src/adapters/dns/node.ts');
const { recordingCloudFront } = await import('../tests/support/cloudfront-tenants.ts');
const { dynamoDbRepositories } = await import('../functions/src/adapters/db/dynamodb/index.ts');
const { wire } = await import('../functions/src/lib/context.ts');
// The handlers' own wiring, as the tests' setup does: DynamoDB (the emulator) for the domain calls made here.
wire(dynamoDbRepositories);

const world = await startDomainWorld();
const resolver = new NodeDnsResolver({ servers: [world.dns.address] });
const cloudfront = recordingCloudFront(resolver, TARGET);
const restore = override({ domainAttachments: new CloudFrontSaasAttachments({ distributionId: 'E1', connectionGroupId: 'cg_1', routingEndpoint: TARGET, client: cloudfront.client }) });

const calls = async (step: () => Promise<unknown>): Promise<number> => {
  const before = cloudfront.sent.length;
  await step();
  return cloudfront.sent.length - before;
};
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

try {
  const team = await newTeam();
  const c = client(world.api, team.tokens.member);
  const { body: project } = await c.post('/v1/projects', { name: uniqueName('bench') });
  const first = await servedDeployment(c, project, { html: '<h1>v1</h1>' });
  const second = await servedDeployment(c, project, { html: '<h1>v2</h1>' });

  const servedMs: number[] = [];
  const perDomain = { add: [] as number[], verify: [] as number[], remove: [] as number[] };
  const names: string[] = [];
  for (let i = 0; i < N; i++) {
    const name = `www.${uniqueName('bench')}.test`;
    names.push(name);
    let added: any;
    perDomain.add.push(await calls(async () => (added = await c.post(`/v1/projects/${project.id}/domains`, { name }))));
    const started = performance.now();
    for (const r of added.body.records) world.dns.set(r.name, r.type as 'TXT' | 'CNAME', [r.value]);
    perDomain.verify.push(await calls(() => c.post(`/v1/projects/${project.id}/domains/${name}/verify`)));
    while ((await visit(world, name)).body !== '<h1>v2</h1>') await new Promise((r) => setTimeout(r, 5));
    servedMs.push(performance.now() - started);
  }
  const promote = await calls(() => c.post(`/v1/projects/${project.id}/promote`, { deploymentId: first.id }));
  const rollforward = await calls(() => c.post(`/v1/projects/${project.id}/promote`, { deploymentId: second.id }));
  const rollback = await calls(() => c.post(`/v1/projects/${project.id}/rollback`, {}));
  for (const name of names) perDomain.remove.push(await calls(() => c.del(`/v1/projects/${project.id}/domains/${name}`)));

  const max = (xs: number[]) => Math.max(...xs);
  const results = {
    domains: N,
    recordsPublishedToServedMs: { median: Math.round(percentile(servedMs, 50)), p95: Math.round(percentile(servedMs, 95)), max: Math.round(max(servedMs)) },
    cloudfrontCallsPer: { add: max(perDomain.add), verify: max(perDomain.verify), remove: max(perDomain.remove), promote, rollback: Math.max(rollback, rollforward) },
    note: 'add with no records yet: 0 calls (no tenant before proof and CNAME); verify: CreateDistributionTenant + GetManagedCertificateDetails; remove: Get/Update(disable)/DeleteDistributionTenant',
  };
  fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'bench/results/domains.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeResultsSection(
    'domains',
    'Custom domains (`npm run bench:domains`)',
    [
      `| what | figure |`,
      `|---|---|`,
      `| records published → served on the domain (verify now, local edge), ${N} domains | median ${results.recordsPublishedToServedMs.median} ms, p95 ${results.recordsPublishedToServedMs.p95} ms |`,
      `| CloudFront control-plane calls per domain add / verify / remove | ${results.cloudfrontCallsPer.add} / ${results.cloudfrontCallsPer.verify} / ${results.cloudfrontCallsPer.remove} |`,
      `| CloudFront control-plane calls per promote / rollback (with ${N} custom domains) | ${promote} / ${results.cloudfrontCallsPer.rollback} |`,
      '',
    ],
    new Date().toISOString(),
  );
  console.log(JSON.stringify(results, null, 2));
} finally {
  restore();
  await world.close();
  await local.emulator.stop();
}
