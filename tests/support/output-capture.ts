import { vi } from 'vitest';

/** What a test captured of the process's output, one entry per non-empty line. */
export interface CapturedOutput {
  stdout: string[];
  stderr: string[];
  /** The stdout lines parsed as JSON (structured logs and EMF metrics). */
  json(): Record<string, unknown>[];
  restore(): void;
}

/** Captures what the process writes to stdout and stderr, keeping it off the test output, until `restore()`. */
export function captureOutput(): CapturedOutput {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const into = (lines: string[]) => (chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(into(stdout)),
    vi.spyOn(process.stderr, 'write').mockImplementation(into(stderr)),
  ];
  return {
    stdout,
    stderr,
    json: () => stdout.map((line) => JSON.parse(line) as Record<string, unknown>),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}
