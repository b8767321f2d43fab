/** Webhook delivery: the App's webhooks, signed and sent one at a time, as GitHub's Hookshot does. */
import { randomUUID } from 'node:crypto';
import { Webhooks } from '@octokit/webhooks';
import type { FakeWebhookDelivery, FakeWebhookTarget } from './types.ts';

/** GitHub gives up on a webhook receiver after 10 seconds. */
const WEBHOOK_TIMEOUT_MS = 10_000;

/**
 * Sends the App's webhooks like GitHub's Hookshot: signed over the exact body, one at a time in
 * the order they happened, never retried. A failure is recorded and logged, not thrown: GitHub
 * does not tell the pusher that a receiver is down either.
 */
export class Hookshot {
  readonly deliveries: FakeWebhookDelivery[] = [];
  readonly #webhooks: Webhooks;
  #last: Promise<void> = Promise.resolve();

  constructor(
    readonly target: FakeWebhookTarget,
    readonly appId: number,
  ) {
    this.#webhooks = new Webhooks({ secret: target.secret });
  }

  /** Queues a delivery; returns its `X-GitHub-Delivery` id. */
  send(event: string, payload: object): string {
    const delivery: FakeWebhookDelivery = { event, deliveryId: randomUUID(), status: 'pending' };
    this.deliveries.push(delivery);
    const body = JSON.stringify(payload);
    this.#last = this.#last.then(() => this.#post(delivery, body));
    return delivery.deliveryId;
  }

  settled(): Promise<void> {
    return this.#last;
  }

  async #post(delivery: FakeWebhookDelivery, body: string): Promise<void> {
    const what = `webhook ${delivery.event} ${delivery.deliveryId} to ${this.target.url}`;
    try {
      const response = await fetch(this.target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'GitHub-Hookshot/fake',
          'x-github-event': delivery.event,
          'x-github-delivery': delivery.deliveryId,
          'x-github-hook-installation-target-type': 'integration',
          'x-github-hook-installation-target-id': String(this.appId),
          'x-hub-signature-256': await this.#webhooks.sign(body),
        },
        body,
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      delivery.status = response.status;
      const text = await response.text();
      if (!response.ok) console.error(`[fake-github] ${what}: ${response.status} ${text.slice(0, 500)}`);
    } catch (error) {
      delivery.status = 'failed';
      console.error(`[fake-github] ${what} failed:`, error);
    }
  }
}
