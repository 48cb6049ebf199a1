// The worker's side of its IPC channel to the harness (bench/run.ts): JSON messages with a `type`.

/** Sends a message to the harness; resolves once it is written (at once without a channel). */
export const send = (m: Record<string, unknown>) => new Promise<void>((r) => (process.send ? process.send(m, () => r()) : r()));

/** The next message of this type from the harness (for which `accept` holds). Ask before sending
 *  what it answers: a reply that came first would be missed. */
export function fromHarness<T extends { type?: string }>(type: string, accept: (m: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: T) => {
      if (m.type !== type || !accept(m)) return;
      process.off('message', on);
      resolve(m);
    };
    process.on('message', on);
  });
}
