/**
 * moto (Python), a second implementation of the AWS APIs, for what dynalite lacks: DynamoDB Streams,
 * EventBridge, SQS, and one set of tables per Region (the Region of each request's signature). Started on a free port, serving one request at a time (tests/support/moto-serial.py),
 * so conditional writes are as atomic as DynamoDB's. Needs `moto_server` on the PATH (its Python is the one
 * that runs the launcher).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.ts';

const LAUNCHER = fileURLToPath(new URL('./moto-serial.py', import.meta.url));

/** The Python that runs `moto_server`, or undefined when moto is not installed. */
export function motoPython(): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' });
  if (which.status !== 0 || which.stdout.trim() === '') return undefined;
  for (const python of ['python3', 'python']) {
    const probe = spawnSync(python, ['-c', 'import moto.moto_server.werkzeug_app, werkzeug'], {
      encoding: 'utf8',
    });
    if (probe.status === 0) return python;
  }
  return undefined;
}

/** Whether moto can be started here; tests that need it say so and skip where it cannot (.ci/run requires it). */
export const MOTO_SERVER_AVAILABLE = motoPython() !== undefined;

export interface Moto {
  endpoint: string;
  stop(): Promise<void>;
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto exited with ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`moto did not listen on ${port} within ${timeoutMs} ms`);
}

/** Starts a serial moto; throws when moto is not installed. */
export async function startMoto(python = motoPython(), timeoutMs = 30_000): Promise<Moto> {
  if (python === undefined) throw new Error('moto_server is not on the PATH');
  const port = await freePort();
  const child = spawn(python, [LAUNCHER, '127.0.0.1', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4_000);
  });
  try {
    await waitForPort(port, child, timeoutMs);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
