import { describe, expect, test } from 'vitest';
import { Deployment, type DeploymentInfo } from '../../functions/src/core/deployment/index.ts';
import { ConflictError, NotFoundError } from '../../functions/src/core/errors.ts';

/**
 * The deployment state machine's cases, run on the emulator's DynamoDB
 * (tests/integration/domain/deployment.test.ts) and on the in-memory repositories
 * (tests/unit/core/lifecycle.test.ts). `create` makes a new QUEUED deployment.
 */
export function stateMachineCases(create: () => Promise<DeploymentInfo>): void {
  describe('Deployment.transition', () => {
    test('moves QUEUED → BUILDING → READY, stamping each step and bumping the version', async () => {
      const d = await create();
      const building = await Deployment.transition(d.id, { from: ['QUEUED'], to: 'BUILDING' });
      const ready = await Deployment.transition(d.id, { from: ['BUILDING'], to: 'READY', set: { configKey: 'cfg1' } });
      expect(building).toMatchObject({ state: 'BUILDING', buildingAt: expect.any(String), version: 2 });
      expect(ready).toMatchObject({ state: 'READY', readyAt: expect.any(String), configKey: 'cfg1', version: 3 });
      expect(await Deployment.get(d.id)).toEqual(ready);
    });

    test('from a state it is not in: ConflictError with the current state, nothing written', async () => {
      const d = await create();
      const error = await Deployment.transition(d.id, { from: ['BUILDING'], to: 'READY' }).catch((e) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect(error.details).toEqual({ state: 'QUEUED' });
      expect((await Deployment.get(d.id)).version).toBe(1);
    });

    test('two racing transitions (READY vs CANCELED): exactly one wins', async () => {
      const d = await create();
      await Deployment.transition(d.id, { from: ['QUEUED'], to: 'BUILDING' });
      const results = await Promise.allSettled([
        Deployment.transition(d.id, { from: ['BUILDING'], to: 'READY' }),
        Deployment.transition(d.id, { from: ['QUEUED', 'BUILDING'], to: 'CANCELED' }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason).toBeInstanceOf(ConflictError);
      const final = await Deployment.get(d.id);
      expect(final.state).toBe((results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ state: string }>).value.state);
    });

    test('an error keeps the step and the tail of a long message', async () => {
      const d = await create();
      const message = `${'x'.repeat(5000)}THE END`;
      const failed = await Deployment.transition(d.id, { from: ['QUEUED', 'BUILDING'], to: 'ERROR', set: { errorStep: 'build', errorMessage: message } });
      expect(failed).toMatchObject({ state: 'ERROR', errorStep: 'build', erroredAt: expect.any(String) });
      expect(failed.errorMessage).toHaveLength(Deployment.MAX_ERROR_MESSAGE);
      expect(failed.errorMessage?.endsWith('THE END')).toBe(true);
    });

    test('an unknown deployment is NotFoundError', async () => {
      await expect(Deployment.transition('dpl_000000000', { from: ['QUEUED'], to: 'BUILDING' })).rejects.toBeInstanceOf(NotFoundError);
    });
  });
}
