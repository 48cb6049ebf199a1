// What a test started must go when its process ends, also when it is told to stop: SIGTERM (the
// test runner cancelling a file that ran out of time), SIGINT or SIGHUP would otherwise end it
// without running 'exit' listeners, leaving namespaces, qdiscs and child processes behind.
const SIGNALS = { SIGTERM: 143, SIGINT: 130, SIGHUP: 129 } as const;
let installed = false;

/** Runs fn when the process exits, however it was asked to; returns what removes it again. */
export function atExit(fn: () => void): () => void {
  if (!installed) {
    installed = true;
    for (const [signal, code] of Object.entries(SIGNALS)) process.once(signal, () => process.exit(code));
  }
  process.on('exit', fn);
  return () => process.removeListener('exit', fn);
}
