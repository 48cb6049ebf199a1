// Where run and once get their config: --config, or the embedded local RGW when none is given.
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { startLocalRgw, type LocalRgw } from '../embedded/local-rgw.js';
import type { Logger } from '../log/logger.js';

export async function resolveConfig(file: string | undefined, logger: Logger): Promise<{ config: Config; local?: LocalRgw }> {
  if (file) return { config: await loadConfig(file) };
  logger.info('no --config given: starting the embedded local S3 target (Ceph RGW on loopback)');
  const local = await startLocalRgw();
  return { config: local.config, local };
}
