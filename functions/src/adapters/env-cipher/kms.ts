import { DecryptCommand, EncryptCommand } from '@aws-sdk/client-kms';
import { kmsClient } from '#adapters/aws/clients';
import type { EnvCipher } from '#core/ports';
import { config } from '#lib/config';

/**
 * Env var values encrypted directly with the platform's KMS key (values are ≤ 4 KB, KMS's limit),
 * with an encryption context that KMS binds to the ciphertext and logs in CloudTrail.
 */
export class KmsEnvCipher implements EnvCipher {
  async encrypt(plaintext: string, context: Record<string, string>): Promise<string> {
    const res = await kmsClient().send(
      new EncryptCommand({ KeyId: config().RUNWAY_KMS_KEY_ID, Plaintext: Buffer.from(plaintext, 'utf8'), EncryptionContext: context }),
    );
    return Buffer.from(res.CiphertextBlob as Uint8Array).toString('base64');
  }

  async decrypt(ciphertext: string, context: Record<string, string>): Promise<string> {
    const res = await kmsClient().send(
      new DecryptCommand({ KeyId: config().RUNWAY_KMS_KEY_ID, CiphertextBlob: Buffer.from(ciphertext, 'base64'), EncryptionContext: context }),
    );
    return Buffer.from(res.Plaintext as Uint8Array).toString('utf8');
  }
}
