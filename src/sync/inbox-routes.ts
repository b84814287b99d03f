/**
 * The inbox of a mapping, for administrators: what arrived, what was ignored and why, and
 * the parked deliveries with their errors, each retryable once the cause is fixed.
 *   GET  /api/mappings/:id/inbox?state=parked&limit=50&before=<receivedAt>
 *   POST /api/mappings/:id/inbox/:deliveryId/retry
 */
import { requireAdmin } from '../accounts/middleware.js';
import { AppError } from '../errors.js';
import { requireMappingRow } from '../integration/mappings-model.js';
import type { DeliveryState } from '../store/schema.js';
import type { RouteRegistrar } from '../server/types.js';
import { DELIVERY_STATES, inboxHealth, listDeliveries, retryDelivery } from './inbox.js';

export function inboxRoutes(): RouteRegistrar {
  return (app, deps) => {
    const db = deps.store.db;
    app.get('/api/mappings/:id/inbox', requireAdmin, async (c) => {
      const mapping = await requireMappingRow(db, c.req.param('id'));
      const state = c.req.query('state');
      if (state !== undefined && !(DELIVERY_STATES as readonly string[]).includes(state))
        throw new AppError('invalid_request', 'The state filter is not a delivery state.', {
          hint: `Use one of ${DELIVERY_STATES.join(', ')}, or leave it out for every delivery.`,
        });
      const limitRaw = c.req.query('limit');
      const limit = limitRaw === undefined ? 50 : Number(limitRaw);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500)
        throw new AppError('invalid_request', 'limit must be a whole number from 1 to 500.', {
          hint: 'Leave it out for 50.',
        });
      const before = c.req.query('before');
      const deliveries = await listDeliveries(db, mapping.id, {
        ...(state ? { state: state as DeliveryState } : {}),
        limit,
        ...(before ? { before } : {}),
      });
      return c.json({ health: await inboxHealth(db, mapping.id), deliveries });
    });
    app.post('/api/mappings/:id/inbox/:deliveryId/retry', requireAdmin, async (c) => {
      const mapping = await requireMappingRow(db, c.req.param('id'));
      const delivery = await retryDelivery(
        db,
        mapping.id,
        c.req.param('deliveryId'),
        new Date().toISOString(),
      );
      return c.json({ delivery });
    });
  };
}
