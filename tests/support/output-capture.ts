import { vi } from 'vitest';

/** One non-empty line the process wrote, with its stream and the time (`Date.now()`) it was written. */
export interface CapturedLine {
  stream: 'stdout' | 'stderr';
  text: string;
  at: number;
}

/** What a test captured of the process's output, one entry per non-empty line. */
export interface CapturedOutput {
  stdout: string[];
  stderr: string[];
  /** Every line of both streams, in the order written. */
  lines: CapturedLine[];
  /** The stdout lines parsed as JSON (structured logs and EMF metrics). */
  json(): Record<string, unknown>[];
  /** Every line of both streams parsed as JSON, in the order written (the logger writes ERROR to stderr). */
  allJson(): Record<string, unknown>[];
  restore(): void;
}

const parse = (text: string) => JSON.parse(text) as Record<string, unknown>;

/** Captures what the process writes to stdout and stderr, keeping it off the test output, until `restore()`. */
export function captureOutput(): CapturedOutput {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const lines: CapturedLine[] = [];
  const into = (stream: CapturedLine['stream'], streamLines: string[]) => (chunk: string | Uint8Array) => {
    const at = Date.now();
    for (const text of String(chunk).split('\n').filter(Boolean)) {
      streamLines.push(text);
      lines.push({ stream, text, at });
    }
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(into('stdout', stdout)),
    vi.spyOn(process.stderr, 'write').mockImplementation(into('stderr', stderr)),
  ];
  return {
    stdout,
    stderr,
    lines,
    json: () => stdout.map(parse),
    allJson: () => lines.map(({ text }) => parse(text)),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

/**
 * Runs `run` with the output captured, and restores the output however `run` ends: the capture never
 * outlives one call, even when it throws.
 */
export async function captureOutputOf<T>(
  run: () => Promise<T>,
): Promise<{ result: T; output: CapturedOutput }> {
  const output = captureOutput();
  try {
    return { result: await run(), output };
  } finally {
    output.restore();
  }
}
