import type { PulsebotConfig } from '../config/schema.js';
import type { DeliverConfig } from './dispatch.js';

/** The delivery settings of the config, in the units deliverDue works in. */
export function deliverConfigOf(config: PulsebotConfig): DeliverConfig {
  return {
    maxAttempts: config.delivery.max_attempts,
    backoffBaseMs: config.delivery.backoff_base_seconds * 1000,
    backoffMaxMs: config.delivery.backoff_max_seconds * 1000,
    failureRoutes: config.delivery.failure_routes,
    failureFrom: config.email.from,
  };
}
