import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { stateMachineCases } from '../../support/state-machine-cases.ts';
import { Deployment } from '../../../functions/src/core/deployment/index.ts';
import { NotFoundError } from '../../../functions/src/core/errors.ts';
import { override } from '../../../functions/src/core/context.ts';
import { InMemoryBlobStore, RecordingScheduler } from '../../support/fakes.ts';

/** The state machine against the emulator's DynamoDB, with in-memory blobs and scheduler. */
const scheduler = new RecordingScheduler();
let restore: () => void;
beforeAll(() => {
  restore = override({ blobStore: new InMemoryBlobStore(), buildScheduler: scheduler });
});
afterAll(() => restore());

const files = [{ file: 'index.html', sha: 'a'.repeat(64), size: 1 }];
const create = () =>
  Deployment.create({ teamId: 'team_statemachine', project: { id: 'prj_statemachine', name: 'sm' }, target: 'preview', source: { type: 'files', files } });

stateMachineCases(create);

describe('Deployment.get', () => {
  test("with a team scope, another team's deployment is not found", async () => {
    const d = await create();
    await expect(Deployment.get(d.id, { teamId: 'team_other' })).rejects.toBeInstanceOf(NotFoundError);
    expect((await Deployment.get(d.id, { teamId: 'team_statemachine' })).id).toBe(d.id);
  });
});
