// s3prober's exit codes: the one list (README's "Exit codes" table says the same; tested).
export const EXIT = {
  /** done: once, every operation succeeded; cleanup, nothing of the prober's is left */
  ok: 0,
  /** once: an operation failed; cleanup: something is left; run: could not start, or stopping overran */
  failure: 1,
  /** a usage error (unknown command or option, a bad option value, a missing or extra argument):
   *  said before anything starts */
  usage: 2,
  /** an invalid config or web config: the same code as a usage error, and nothing starts either */
  config: 2,
} as const;
