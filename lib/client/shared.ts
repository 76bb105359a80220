/** What both entry points of the package export beside their clients: the types and the replay mark. */
export type { ClientOptions, CreateOrGetResult, MutateOptions, MutateResult } from './base-client.ts';
export { wasReplayed } from './held.ts';
export type { CallOptions, Condition, KeyOption, Operation } from './requests.ts';
export type { RetryOptions, Timing } from './retry.ts';
export type {
  Booking,
  BookingPatch,
  Context,
  JsonValue,
  Patch,
  Session,
  SessionRef,
  Source,
  UserExport,
} from './types.ts';
