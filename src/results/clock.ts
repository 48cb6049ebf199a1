// The one clock of results: CLOCK_MONOTONIC nanoseconds. process.hrtime.bigint() and the kernel's
// bpf_ktime_get_ns() read the same clock, so client and wire timestamps compare directly.

export const nowNs = (): bigint => process.hrtime.bigint();

/** Seconds from a to b, both monotonic nanoseconds. */
export const secondsBetween = (a: bigint, b: bigint): number => Number(b - a) / 1e9;
