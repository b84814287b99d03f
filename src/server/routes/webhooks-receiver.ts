import { createReceiver, type ReceiverOptions } from '../../sync/receiver.js';
import type { RouteRegistrar } from '../types.js';

/**
 * `POST /webhooks/jira/:token`: Jira's deliveries, authenticated by the unguessable token in
 * the path and, where the mapping has a secret, the X-Hub-Signature HMAC. No session: Jira
 * is the caller.
 */
export function webhooksReceiverRoutes(options: ReceiverOptions = {}): RouteRegistrar {
  return (app, deps) => {
    const receiver = createReceiver(deps, options);
    app.post('/webhooks/jira/:token', (c) => receiver.handle(c));
  };
}
