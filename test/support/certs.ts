// Test certificates made with the openssl CLI in a temp dir: a CA, a server cert it signed for
// 127.0.0.1/localhost, a self-signed (untrusted) one, an expired one, and on demand more it signs
// for names only (issue()). Each bad cert has exactly one defect (untrusted issuer, or dates in the
// past) so a test sees the failure it aims for.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CertPair {
  /** PEM text. */
  key: string;
  cert: string;
  keyPath: string;
  certPath: string;
}

export interface TestCerts {
  dir: string;
  /** The CA: trust `ca.cert` to accept `server` and `expired`. */
  ca: CertPair;
  /** Signed by the CA, valid now, SAN IP:127.0.0.1 + DNS:localhost. */
  server: CertPair;
  /** Self-signed for 127.0.0.1/localhost: no trusted issuer. */
  untrusted: CertPair;
  /** Signed by the CA for 127.0.0.1/localhost, valid 2020-01-01 .. 2021-01-01 only. */
  expired: CertPair;
  /** Another leaf signed by the CA, valid now, with exactly these DNS names as SANs (no IP). */
  issue(file: string, dnsNames: string[]): Promise<CertPair>;
  /** Remove the directory. */
  cleanup(): Promise<void>;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const leafExt = (san: string) => [
  'basicConstraints = critical, CA:FALSE',
  'keyUsage = critical, digitalSignature, keyEncipherment',
  'extendedKeyUsage = serverAuth',
  `subjectAltName = ${san}`,
].join('\n');
const LEAF_EXT = leafExt('IP:127.0.0.1, DNS:localhost');

export async function makeTestCerts(): Promise<TestCerts> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 's3prober-certs-'));
  const p = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  try {
    await writeFile(p('leaf.ext'), `${LEAF_EXT}\n`);
    // `openssl ca` is the OpenSSL 3.0 way to set explicit validity dates (x509 -not_before is 3.4+).
    await writeFile(p('ca.cnf'), [
      '[ca]', 'default_ca = test_ca', '[test_ca]', `dir = ${dir}`, 'database = $dir/index.txt',
      'new_certs_dir = $dir', 'serial = $dir/serial', 'default_md = sha256', 'policy = any',
      'copy_extensions = none', 'unique_subject = no', '[any]', 'commonName = supplied', '',
    ].join('\n'));
    await writeFile(p('index.txt'), '');
    await writeFile(p('serial'), '1000\n');

    await openssl('req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650',
      '-subj', '/CN=s3prober test CA', '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    for (const name of ['server', 'expired']) {
      await openssl('req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}.localhost`);
    }
    await openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', '1',
      '-days', '365', '-sha256', '-extfile', 'leaf.ext', '-out', 'server.crt');
    await openssl('ca', '-batch', '-config', 'ca.cnf', '-notext', '-cert', 'ca.crt', '-keyfile', 'ca.key',
      '-startdate', '20200101000000Z', '-enddate', '20210101000000Z', '-extfile', 'leaf.ext',
      '-in', 'expired.csr', '-out', 'expired.crt');
    await openssl('req', '-x509', ...EC, '-keyout', 'untrusted.key', '-out', 'untrusted.crt', '-days', '365',
      '-subj', '/CN=untrusted.localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-addext', 'extendedKeyUsage=serverAuth');

    const pair = async (name: string): Promise<CertPair> => ({
      key: await readFile(p(`${name}.key`), 'utf8'), cert: await readFile(p(`${name}.crt`), 'utf8'),
      keyPath: p(`${name}.key`), certPath: p(`${name}.crt`),
    });
    return {
      dir, ca: await pair('ca'), server: await pair('server'), untrusted: await pair('untrusted'), expired: await pair('expired'),
      async issue(file, dnsNames) {
        if (!/^[a-z0-9-]+$/.test(file) || ['ca', 'server', 'untrusted', 'expired', 'leaf'].includes(file)) throw new Error(`test certs: bad file name ${file}`);
        await writeFile(p(`${file}.ext`), `${leafExt(dnsNames.map((n) => `DNS:${n}`).join(', '))}\n`);
        await openssl('req', ...EC, '-keyout', `${file}.key`, '-out', `${file}.csr`, '-subj', `/CN=${dnsNames[0]}`);
        await openssl('x509', '-req', '-in', `${file}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', String(Date.now()),
          '-days', '365', '-sha256', '-extfile', `${file}.ext`, '-out', `${file}.crt`);
        return pair(file);
      },
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    const e = err as Error & { stderr?: string };
    throw new Error(`openssl failed: ${e.message}${e.stderr ? `\n${e.stderr}` : ''}`);
  }
}
