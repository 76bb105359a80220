/**
 * Loads the session functions by module, the way the Lambda runtime does, keyed like their files.
 * After `vi.resetModules()` it loads them afresh, as a new container would.
 */
import {
  FUNCTION_OF,
  type FunctionName,
  type HttpRequestOptions,
  httpEvent,
  type LambdaHandler,
  lambdaContext,
  type Method,
  readHttp,
} from './lambda-events.ts';

export async function loadFunctions(): Promise<Record<FunctionName, LambdaHandler>> {
  const [createOrGet, get, update, clear, remove, erase, exportUser] = await Promise.all([
    import('../../functions/create-or-get.ts'),
    import('../../functions/get-session.ts'),
    import('../../functions/update.ts'),
    import('../../functions/clear.ts'),
    import('../../functions/delete.ts'),
    import('../../functions/erase.ts'),
    import('../../functions/export-user.ts'),
  ]);
  const asLambda = (handler: unknown) => handler as LambdaHandler;
  return {
    'create-or-get': asLambda(createOrGet.handler),
    'get-session': asLambda(get.handler),
    update: asLambda(update.handler),
    clear: asLambda(clear.handler),
    delete: asLambda(remove.handler),
    erase: asLambda(erase.handler),
    'export-user': asLambda(exportUser.handler),
  };
}

/** The session functions, called in-process with an HTTP API event or a direct-invocation payload. */
export async function functionCallers() {
  const fns = await loadFunctions();
  return {
    async http(method: Method, userId: string, options: HttpRequestOptions = {}) {
      return readHttp(await fns[FUNCTION_OF[method]](httpEvent(method, userId, options), lambdaContext()));
    },
    async invoke(fn: FunctionName, payload: Record<string, unknown>) {
      return (await fns[fn](payload, lambdaContext())) as Record<string, unknown>;
    },
  };
}
