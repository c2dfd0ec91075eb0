/**
 * Secrets must never reach a record file. Device records carry no secret fields, but free text
 * (a QR payload, a console line, an error message) can embed one; these patterns blank them.
 * Every pattern runs in linear time (no nested quantifiers), so long console output is cheap.
 */

/** Provisioning tokens (`pt_` + base32 or base64url). */
const TOKEN = /(?<![A-Za-z0-9_-])pt_[A-Za-z0-9_-]{16,}/g;

/** `key=value`, `key: value` and `"key":"value"`; the key is checked against {@link SECRET_KEY}. */
const PAIR = /(?<![A-Za-z0-9_-])("?)([A-Za-z0-9_-]+)\1(\s*[=:]\s*)("[^"]*"|[^\s&;,"'}]+)/g;

const SECRET_KEY = /pass(?:word)?|passwd|pwd|secret|token|api[_-]?key|psk|credential/i;

/** Replaces secret-looking parts of `text` with `[redacted]`. */
export function redactSecretText(text: string): string {
  return text
    .replace(TOKEN, "pt_[redacted]")
    .replace(PAIR, (whole, quote: string, key: string, sep: string, value: string) =>
      SECRET_KEY.test(key)
        ? `${quote}${key}${quote}${sep}${value.startsWith('"') ? '"[redacted]"' : "[redacted]"}`
        : whole,
    );
}
