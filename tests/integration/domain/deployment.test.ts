import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { stateMachineCases } from '../../support/state-machine-cases.ts';
import { Deployment } from '../../../functions/src/core/deployment/index.ts';
import { NotFoundError } from '../../../functions/src/core/errors.ts';
import { override } from '../../../functions/src/core/context.ts';
import { Project } from '../../../functions/src/core/project/index.ts';
import { InMemoryBlobStore, RecordingScheduler } from '../../support/fakes.ts';

/** The state machine against the emulator's DynamoDB, with in-memory blobs and scheduler. */
const scheduler = new RecordingScheduler();
let restore: () => void;
// A deployment claims its host in the same write, on the condition that its project exists.
let project: { id: string; name: string };
beforeAll(async () => {
  restore = override({ blobStore: new InMemoryBlobStore(), buildScheduler: scheduler });
  project = await Project.create('team_statemachine', { name: `sm-${Date.now().toString(36)}` });
});
afterAll(() => restore());

const files = [{ file: 'index.html', sha: 'a'.repeat(64), size: 1 }];
const create = () => Deployment.create({ teamId: 'team_statemachine', project, target: 'preview', source: { type: 'files', files } });

stateMachineCases(create);

describe('Deployment.get', () => {
  test("with a team scope, another team's deployment is not found", async () => {
    const d = await create();
    await expect(Deployment.get(d.id, { teamId: 'team_other' })).rejects.toBeInstanceOf(NotFoundError);
    expect((await Deployment.get(d.id, { teamId: 'team_statemachine' })).id).toBe(d.id);
  });
});
