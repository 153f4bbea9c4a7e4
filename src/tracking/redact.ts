// Credentials never reach params, tags or artifacts: values of secret-looking
// keys become `***`, the secrets we know of (MLflow's env variables, passwords
// in URIs) are cut out of every value and artifact we write.

// A key segment ending in one of these names a secret (`db.password`, `accessToken`; not `tokenizer`).
const SECRET_SEGMENT = /(password|passwd|secret|token|api[_-]?key|credentials?|authorization|private[_-]?key)$/i;
const URI_PASSWORD = /(\b[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/\s:@'"]*):([^/\s@'"]+)@/g;
export const REDACTED = '***';

export class Redactor {
  private readonly secrets: string[];
  private readonly secretBytes: Buffer[];

  constructor(secrets: (string | undefined)[]) {
    // Very short strings would blank out ordinary text; MLflow tokens and passwords are longer.
    this.secrets = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4))]
      .sort((a, b) => b.length - a.length);
    this.secretBytes = this.secrets.map((s) => Buffer.from(s, 'utf8'));
  }

  static fromEnv(env: NodeJS.ProcessEnv, extra: (string | undefined)[] = []): Redactor {
    return new Redactor([env.MLFLOW_TRACKING_PASSWORD, env.MLFLOW_TRACKING_TOKEN, ...extra]);
  }

  isSecretKey(key: string): boolean {
    return key.split(/[./]/).some((seg) => SECRET_SEGMENT.test(seg));
  }

  /** A param or tag value with secrets cut out; the whole value when its key names a secret. */
  value(key: string, value: string): string {
    if (this.isSecretKey(key) && value !== '') return REDACTED;
    return this.text(value);
  }

  text(value: string): string {
    let out = value.replace(URI_PASSWORD, `$1:${REDACTED}@`);
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  }

  /** Artifact bytes with every known secret replaced (binary-safe). */
  bytes(content: Uint8Array): Uint8Array {
    let buf = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
    let changed = false;
    for (const s of this.secretBytes) {
      if (buf.indexOf(s) < 0) continue;
      const parts: Buffer[] = [];
      let from = 0;
      for (let at = buf.indexOf(s); at >= 0; at = buf.indexOf(s, from)) {
        parts.push(buf.subarray(from, at), Buffer.from(REDACTED));
        from = at + s.length;
      }
      parts.push(buf.subarray(from));
      buf = Buffer.concat(parts);
      changed = true;
    }
    // URI passwords only in text-like content (a binary file could hold `x://a:b@` by chance).
    if (!buf.includes(0)) {
      const t = buf.toString('utf8');
      const r = t.replace(URI_PASSWORD, `$1:${REDACTED}@`);
      if (r !== t) return Buffer.from(r, 'utf8');
    }
    return changed ? buf : content;
  }
}
