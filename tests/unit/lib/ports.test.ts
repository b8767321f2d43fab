import { expect, test } from 'vitest';
import { PortNotConfiguredError } from '../../../functions/src/core/ports.ts';
import { ports, provideDefaultPorts, usePorts } from '../../../functions/src/lib/ports.ts';
import { InMemoryEdgeStore, RecordingScheduler } from '../../support/fakes.ts';

test('the build scheduler and the edge store say they are not configured until wired', async () => {
  await expect(ports().buildScheduler.schedule({} as never)).rejects.toThrow(new PortNotConfiguredError('BuildScheduler'));
  await expect(ports().edgeStore.get('x')).rejects.toThrow(/EdgeStore not configured/);
});

test('usePorts overrides and its return value restores', async () => {
  const edge = new InMemoryEdgeStore();
  const restore = usePorts({ edgeStore: edge });
  expect(ports().edgeStore).toBe(edge);
  restore();
  await expect(ports().edgeStore.get('x')).rejects.toBeInstanceOf(PortNotConfiguredError);
});

test("an injected port wins over an entry point's default", () => {
  const lambdaDefault = new RecordingScheduler();
  const injected = new RecordingScheduler();
  provideDefaultPorts({ buildScheduler: lambdaDefault });
  expect(ports().buildScheduler).toBe(lambdaDefault);
  const restore = usePorts({ buildScheduler: injected });
  expect(ports().buildScheduler).toBe(injected);
  restore();
});
