import { createEventsHandler } from '../lib/handlers/events-handler.ts';

/** On the sessions table's stream: publishes what happened to each session on the stage's event bus. */
export const handler = createEventsHandler();
