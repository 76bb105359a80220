import { sweepHandler } from '../lib/sweep-handler.ts';

/** Scheduled daily (and invokable on demand): removes sessions inactive longer than the window. */
export const handler = sweepHandler;
