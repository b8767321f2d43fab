import * as z from 'zod';
import { CreateEnvBody, Env, EnvVarInfo, UpdateEnvBody } from '#core/env/index';
import { Project } from '#core/project/index';
import { EnvId, IdOrName } from '#core/schemas';
import { dynamoDbRepositories } from '#adapters/db/dynamodb/index';
import { KmsEnvCipher } from '#adapters/env-cipher/kms';
import { wire } from '#lib/context';
import { apiHandler, tokenRoute } from '#lib/api';

const ProjectParams = z.strictObject({ idOrName: IdOrName });
const EnvParams = z.strictObject({ idOrName: IdOrName, envId: EnvId });
const EnvList = z.strictObject({ items: z.array(EnvVarInfo), next: z.null() });

/**
 * Environment variables of a project, per target. Values are KMS-encrypted; sensitive ones are
 * write-only; plain ones are returned decrypted to owners and members, masked to viewers.
 */
export const routes = {
  'GET /v1/projects/{idOrName}/env': tokenRoute({
    summary: "The project's env vars (values of plain vars for owners and members only)",
    params: ProjectParams,
    responds: { status: 200, body: EnvList },
    handler: async ({ params, auth }) => {
      const project = await Project.get(auth.teamId, params.idOrName);
      return { body: { items: await Env.list(project, auth.role), next: null } };
    },
  }),
  'POST /v1/projects/{idOrName}/env': tokenRoute({
    summary: 'Create a var for one or more targets (409 env_exists if the key has a value there)',
    params: ProjectParams,
    body: CreateEnvBody,
    responds: { status: 201, body: EnvList },
    handler: async ({ params, body, auth }) => {
      const project = await Project.get(auth.teamId, params.idOrName);
      return { status: 201, body: { items: await Env.create(project, body, auth.role), next: null } };
    },
  }),
  'PATCH /v1/projects/{idOrName}/env/{envId}': tokenRoute({
    summary: 'Change a value, or make it sensitive',
    params: EnvParams,
    body: UpdateEnvBody,
    responds: { status: 200, body: EnvVarInfo },
    handler: async ({ params, body, auth }) => {
      const project = await Project.get(auth.teamId, params.idOrName);
      return { body: await Env.update(project, params.envId, body, auth.role) };
    },
  }),
  'DELETE /v1/projects/{idOrName}/env/{envId}': tokenRoute({
    summary: 'Delete a var',
    params: EnvParams,
    responds: { status: 204 },
    handler: async ({ params, auth }) => {
      const project = await Project.get(auth.teamId, params.idOrName);
      await Env.remove(project, params.envId);
      return { status: 204 };
    },
  }),
};

wire({ ...dynamoDbRepositories, envCipher: () => new KmsEnvCipher() });

export const handler = apiHandler(routes);
