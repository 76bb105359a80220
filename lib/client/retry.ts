/** Backoff, shared by both clients: `mutate` after a version conflict, and the HTTP client's resends. */

export interface RetryOptions {
  /** Attempts in all, the first one included. */
  attempts?: number;
  /** The smallest backoff window, in milliseconds. */
  baseDelayMs?: number;
  /** The largest backoff window, in milliseconds. */
  maxDelayMs?: number;
}

/** How a client waits; each is replaceable to keep tests fast and deterministic. */
export interface Timing {
  /** Waits between attempts (default: a timer). */
  sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1) that places each backoff in its window (default Math.random). */
  random?: () => number;
  /** Milliseconds, to time an attempt (default performance.now). */
  now?: () => number;
}

/** `mutate` after VERSION_CONFLICT. */
export const CONFLICT_RETRY: Required<RetryOptions> = { attempts: 5, baseDelayMs: 50, maxDelayMs: 2000 };

/**
 * The backoff window of `mutate` starts at this many times the attempt's own duration: contenders for
 * one session collide within about one read-modify-write, so a window several of them wide lets them
 * land one after another instead of colliding again.
 */
const WINDOW_PER_ATTEMPT_DURATION = 4;

export function timingOf(options: Timing): Required<Timing> {
  return {
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    random: options.random ?? Math.random,
    now: options.now ?? (() => performance.now()),
  };
}

/** The retry settings: the call's, then the client's, then the defaults, each field on its own. */
export function retryOf(...layers: (RetryOptions | undefined)[]): Required<RetryOptions> {
  return Object.assign({}, ...layers.reverse().map(definedOnly)) as Required<RetryOptions>;
}

/**
 * Full jitter: a random wait within a window that starts at `baseDelayMs` (or at four times
 * `attemptMs`, how long the failed attempt took, when that is longer), doubles with each attempt and
 * stops growing at `maxDelayMs`.
 */
export function backoff(
  attempt: number,
  retry: Required<RetryOptions>,
  timing: Required<Timing>,
  attemptMs = 0,
): Promise<void> {
  const window = Math.min(
    retry.maxDelayMs,
    Math.max(retry.baseDelayMs, WINDOW_PER_ATTEMPT_DURATION * attemptMs) * 2 ** (attempt - 1),
  );
  return timing.sleep(timing.random() * window);
}

/** The object without its undefined fields, so that spreading it never overrides a default with nothing. */
export function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(
    Object.entries(value ?? {}).filter(([, field]) => field !== undefined),
  ) as Partial<T>;
}
