// Removes secret-looking material from text that may be shown to users (logs, errors, status page).
const PATTERNS: [RegExp, string][] = [
  // SigV4 Authorization header and presigned URL parameters
  [/(AWS4-HMAC-SHA256\s+Credential=)[^\s,]+/gi, '$1[REDACTED]'],
  [/(Signature=)[0-9a-f]+/gi, '$1[REDACTED]'],
  [/(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s"']+/gi, '$1[REDACTED]'],
  [/(x-amz-security-token:\s*)\S+/gi, '$1[REDACTED]'],
  [/(authorization:\s*)[^\r\n]+/gi, '$1[REDACTED]'],
];
const registered = new Set<string>();

/** Exact secret strings (from config) that must never be shown, whatever the context. */
export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 4) registered.add(secret);
}

export function scrubSecrets(text: string): string {
  let out = text;
  for (const [re, rep] of PATTERNS) out = out.replace(re, rep);
  for (const s of registered) if (out.includes(s)) out = out.split(s).join('[REDACTED]');
  return out;
}
