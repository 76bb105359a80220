/**
 * `@session-service/client/http`: the HTTP client alone, for the browser. It never imports the AWS
 * SDK, so a bundler takes nothing of it.
 */
export * from '../errors.ts';
export {
  type FetchLike,
  type HttpCallOptions,
  SessionHttpClient,
  type SessionHttpClientOptions,
} from './http-client.ts';
export * from './shared.ts';
