// Latency buckets for object storage: a millisecond on a LAN to multi-second WAN and large objects.
// Every bucket is a series per target and operation: few enough keep many targets scrapable (BENCHMARKS.md, scrape).
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
// Cycles span many operations, so they start higher.
export const CYCLE_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
// Replication lag: sub-second within a site to tens of minutes for a backlog (timeouts default to 15m).
export const REPLICATION_LAG_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600];
