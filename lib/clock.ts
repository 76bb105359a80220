/** Returns the current time; injected so tests can move time across the inactivity window. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** One day in milliseconds: the unit of the inactivity window. */
export const DAY_MS = 24 * 60 * 60 * 1000;

/** The instants that follow from one activity at `now` with an inactivity window of `inactiveDays`. */
export interface ActivityTimes {
  /** The activity itself, as an ISO-8601 UTC string with milliseconds. */
  updatedAt: string;
  /** When the session stops being live if nothing else happens. */
  expiresAt: string;
  /** A session whose `updatedAt` is older than this is inactive. */
  cutoff: string;
  /** Epoch seconds for DynamoDB's TTL: a day past expiry, only a backstop for the sweep. */
  purgeAt: number;
}

export function activityTimes(now: Date, inactiveDays: number): ActivityTimes {
  const nowMs = now.getTime();
  const windowMs = inactiveDays * DAY_MS;
  return {
    updatedAt: now.toISOString(),
    expiresAt: new Date(nowMs + windowMs).toISOString(),
    cutoff: inactiveCutoff(now, inactiveDays),
    purgeAt: Math.floor((nowMs + windowMs + DAY_MS) / 1000),
  };
}

/** The `updatedAt` below which a session is inactive at `now`. */
export function inactiveCutoff(now: Date, inactiveDays: number): string {
  return new Date(now.getTime() - inactiveDays * DAY_MS).toISOString();
}
