import * as z from 'zod';
import { CreateDomainBody, Domain, DomainInfo, UpdateDomainBody } from '#core/domain/index';
import { Project } from '#core/project/index';
import { IdOrName } from '#core/schemas';
import { dynamoDbRepositories } from '#adapters/db/dynamodb/index';
import { nodeDnsFromConfig } from '#adapters/dns/node';
import { cloudFrontSaasFromConfig } from '#adapters/domain-attachments/cloudfront-saas';
import { CloudFrontKvsEdgeStore } from '#adapters/edge-store/cloudfront-kvs';
import { wire } from '#lib/context';
import { apiHandler, tokenRoute } from '#lib/api';

const ProjectParams = z.strictObject({ idOrName: IdOrName });
const DomainParams = z.strictObject({ idOrName: IdOrName, domain: z.string().min(1).max(300).describe('The domain, ASCII or Unicode') });
const DomainList = z.strictObject({ items: z.array(DomainInfo), next: z.null() });

/**
 * Custom domains of a project: add (TXT ownership proof first), the records to create with what
 * DNS answers, verify now, serve a branch or redirect, remove.
 */
export const routes = {
  'GET /v1/projects/{idOrName}/domains': tokenRoute({
    summary: "The project's custom domains with their status",
    params: ProjectParams,
    responds: { status: 200, body: DomainList },
    handler: async ({ params, auth }) => {
      const project = await Project.get(auth.teamId, params.idOrName);
      return { body: { items: await Domain.list(project), next: null } };
    },
  }),
  'POST /v1/projects/{idOrName}/domains': tokenRoute({
    summary: 'Add a domain: pending verification with the DNS records to create (409 domain_in_use: another project serves it; publish the TXT proof to move it)',
    params: ProjectParams,
    body: CreateDomainBody,
    responds: { status: 201, body: DomainInfo },
    handler: async ({ params, body, auth }) => {
      const project = await Project.get(auth.teamId, params.idOrName);
      return { status: 201, body: await Domain.add(project, body) };
    },
  }),
  'GET /v1/projects/{idOrName}/domains/{domain}': tokenRoute({
    summary: 'A domain: status, the records to create and what DNS answered at the last check',
    params: DomainParams,
    responds: { status: 200, body: DomainInfo },
    handler: async ({ params, auth }) => {
      const project = await Project.get(auth.teamId, params.idOrName);
      return { body: await Domain.get(project, params.domain) };
    },
  }),
  'POST /v1/projects/{idOrName}/domains/{domain}/verify': tokenRoute({
    summary: 'Check DNS now and move the domain along (pending verification → verified → certificate pending → active)',
    params: DomainParams,
    responds: { status: 200, body: DomainInfo },
    handler: async ({ params, auth }) => {
      const project = await Project.get(auth.teamId, params.idOrName);
      return { body: await Domain.verify(project, params.domain) };
    },
  }),
  'PATCH /v1/projects/{idOrName}/domains/{domain}': tokenRoute({
    summary: 'Serve a branch (gitBranch), production (gitBranch: null), or redirect to another domain of the project',
    params: DomainParams,
    body: UpdateDomainBody,
    responds: { status: 200, body: DomainInfo },
    handler: async ({ params, body, auth }) => {
      const project = await Project.get(auth.teamId, params.idOrName);
      return { body: await Domain.update(project, params.domain, body) };
    },
  }),
  'DELETE /v1/projects/{idOrName}/domains/{domain}': tokenRoute({
    summary: 'Remove a domain: it stops being served at once',
    params: DomainParams,
    responds: { status: 204 },
    handler: async ({ params, auth }) => {
      const project = await Project.get(auth.teamId, params.idOrName);
      await Domain.remove(project, params.domain);
      return { status: 204 };
    },
  }),
};

// In AWS: domains attach as CloudFront SaaS Manager tenants; the edge store is the distribution's KVS.
wire({ ...dynamoDbRepositories, edgeStore: () => new CloudFrontKvsEdgeStore(), dns: nodeDnsFromConfig, domainAttachments: cloudFrontSaasFromConfig });

export const handler = apiHandler(routes);
