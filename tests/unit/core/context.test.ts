import { afterEach, expect, test } from 'vitest';
import { context, override, PortNotConfiguredError, provideDefaults, resetContext } from '../../../functions/src/core/context.ts';
import { InMemoryEdgeStore, RecordingScheduler } from '../../support/fakes.ts';

afterEach(() => resetContext());

test('the build scheduler and the edge store say they are not configured until wired', () => {
  expect(() => context().buildScheduler).toThrow(new PortNotConfiguredError('buildScheduler'));
  expect(() => context().edgeStore.get('x')).toThrow(/edgeStore not configured/);
});

test('override replaces a part and its return value restores', () => {
  const edge = new InMemoryEdgeStore();
  const restore = override({ edgeStore: edge });
  expect(context().edgeStore).toBe(edge);
  restore();
  expect(() => context().edgeStore).toThrow(PortNotConfiguredError);
});

test("an override wins over an entry point's default", () => {
  const lambdaDefault = new RecordingScheduler();
  const injected = new RecordingScheduler();
  provideDefaults({ buildScheduler: lambdaDefault });
  expect(context().buildScheduler).toBe(lambdaDefault);
  const restore = override({ buildScheduler: injected });
  expect(context().buildScheduler).toBe(injected);
  restore();
  expect(context().buildScheduler).toBe(lambdaDefault);
});

test('a default given as a factory is built on first use, once', () => {
  let built = 0;
  provideDefaults({ buildScheduler: () => (built++, new RecordingScheduler()) });
  expect(built).toBe(0);
  const first = context().buildScheduler;
  expect(context().buildScheduler).toBe(first);
  expect(built).toBe(1);
});

test('the context can be awaited and inspected without resolving anything', async () => {
  expect(await context()).toBe(context());
});
