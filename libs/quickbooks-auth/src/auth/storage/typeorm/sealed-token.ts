/** Shape of a TokenCipher ciphertext: `v1:<keyId>:<base64url payload>`. */
const SEALED_FORMAT = /^v\d+:[A-Za-z0-9_-]{1,32}:[A-Za-z0-9_-]*$/;

/**
 * A token ciphertext as it sits in a token column. Wrapping it in a class lets the column
 * transformer refuse anything else, so a plaintext token can never be written by mistake.
 */
export class SealedToken {
  constructor(readonly value: string) {}

  /** True when the value looks like a TokenCipher ciphertext (says nothing about integrity). */
  get wellFormed(): boolean {
    return SEALED_FORMAT.test(this.value);
  }

  /** Never print the ciphertext in logs or inspected entities. */
  toJSON(): string {
    return '[sealed token]';
  }

  toString(): string {
    return '[sealed token]';
  }
}
