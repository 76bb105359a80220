/**
 * `@session-service/client`: both clients, the typed errors and the types. SessionClient needs the peer
 * dependency @aws-sdk/client-lambda; a browser imports `@session-service/client/http` instead.
 */
export * from './http.ts';
export { SessionClient, type SessionClientOptions, type SessionFunction } from './session-client.ts';
