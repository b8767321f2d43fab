import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { NotConfiguredError, ValidationError } from '#core/errors';
import { config } from '#lib/config';

/**
 * Opaque list cursors. A repository's cursor is the key a listing resumes after — for tokens, the
 * stored hash of another token — so none leaves the API as it is: every `next` is encrypted and
 * authenticated with AES-256-GCM (Node's crypto, the standard construction: a random 96-bit IV
 * per cursor, the 128-bit tag checked on open; NIST SP 800-38D) under a key only the platform
 * holds, with the list it belongs to (route, path, filters, team) as additional authenticated
 * data. A cursor that was changed, made up, or taken from another list or team fails to open:
 * 400 `invalid_cursor`, before any repository sees it.
 *
 * The key is derived with HKDF-SHA256 (RFC 5869) from a generated Secrets Manager secret the
 * state stack creates (`RUNWAY_CURSOR_SECRET_ID`; locally the emulator's copy), read with
 * Powertools Parameters and cached for five minutes. Replacing the secret's value rotates the key:
 * cursors handed out before stop working (a client starts its listing again), nothing else does.
 */

const IV_BYTES = 12;
const TAG_BYTES = 16;
const CACHE_SECONDS = 300;
/** HKDF `info`: binds the key to this one use of the secret. */
const KEY_INFO = 'runway list cursor v1';

type SecretSource = () => Promise<string>;

const fromSecretsManager: SecretSource = async () => {
  const id = config().RUNWAY_CURSOR_SECRET_ID;
  if (!id) throw new NotConfiguredError('cursor_key_not_configured', 'List cursors need RUNWAY_CURSOR_SECRET_ID (the state stack creates the secret)');
  const value = await getSecret(id, { maxAge: CACHE_SECONDS, throwOnMissing: true });
  if (typeof value !== 'string' || value.length < 32) throw new NotConfiguredError('cursor_key_not_configured', 'The cursor secret must be a string of at least 32 characters');
  return value;
};

let source: SecretSource = fromSecretsManager;
const keys = new Map<string, Buffer>();

/** Where the secret comes from (unit tests without an emulator). @returns a function that restores the default */
export function useCursorSecret(read: SecretSource): () => void {
  source = read;
  return () => {
    source = fromSecretsManager;
  };
}

async function key(): Promise<Buffer> {
  const secret = await source();
  let derived = keys.get(secret);
  if (!derived) {
    derived = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), KEY_INFO, 32));
    keys.clear();
    keys.set(secret, derived);
  }
  return derived;
}

/**
 * Encrypts a repository cursor for the list `scope`.
 * @returns base64url of IV ‖ ciphertext ‖ tag, URL-safe as is
 */
export async function sealCursor(cursor: string, scope: string): Promise<string> {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', await key(), iv);
  cipher.setAAD(Buffer.from(scope, 'utf8'));
  const body = Buffer.concat([cipher.update(cursor, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

/**
 * The repository cursor inside a sealed one, if it was sealed for `scope` by this platform.
 * @throws ValidationError `invalid_cursor` for anything else
 */
export async function openCursor(sealed: string, scope: string): Promise<string> {
  const bytes = /^[A-Za-z0-9_-]+$/.test(sealed) ? Buffer.from(sealed, 'base64url') : Buffer.alloc(0);
  if (bytes.length <= IV_BYTES + TAG_BYTES) throw invalidCursor();
  const decipher = createDecipheriv('aes-256-gcm', await key(), bytes.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(scope, 'utf8'));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch (cause) {
    throw invalidCursor(cause);
  }
}

function invalidCursor(cause?: unknown): ValidationError {
  return new ValidationError('invalid_cursor', 'The cursor is not valid for this list; start again without it', {}, { cause });
}
