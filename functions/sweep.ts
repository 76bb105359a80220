import { createSweepHandler } from '../lib/handlers/sweep-handler.ts';

/** Scheduled per worker (and invokable on demand): removes sessions inactive longer than the window. */
export const handler = createSweepHandler();
