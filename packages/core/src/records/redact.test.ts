import { describe, expect, it } from "vitest";
import { generateDeviceSecret, generateProvisioningToken } from "../credentials/tokens";
import { redactSecretText } from "./redact";

describe("redactSecretText", () => {
  it("blanks provisioning tokens inside QR payloads", () => {
    const token = generateProvisioningToken();
    const legacy = `pt_${generateDeviceSecret()}`;
    const out = redactSecretText(`factory:esp32-aabbcc:${token} and ${legacy}`);
    expect(out).toBe("factory:esp32-aabbcc:pt_[redacted] and pt_[redacted]");
  });

  it("blanks secret-looking key=value and key: value pairs", () => {
    const secret = generateDeviceSecret();
    const cases = [
      `https://pair.example/?id=1&secret=${secret}&x=2`,
      `admin_password=c0nF3TT1-j0gg1ng`,
      `{"deviceSecret":"${secret}","id":"abc"}`,
      `wifi psk: hunter2hunter2`,
      `API_KEY=${secret}`,
    ];
    for (const c of cases) {
      const out = redactSecretText(c);
      expect(out).toContain("[redacted]");
      expect(out).not.toContain(secret);
      expect(out).not.toContain("c0nF3TT1");
      expect(out).not.toContain("hunter2");
    }
    expect(redactSecretText(`https://pair.example/?id=1&secret=${secret}&x=2`)).toBe(
      "https://pair.example/?id=1&secret=[redacted]&x=2",
    );
  });

  it("leaves ordinary text alone", () => {
    for (const t of ["boot_test OK", "esp32-aabbccddeeff", "WiFi connected, rssi=-61", "tokenizer ready"]) {
      expect(redactSecretText(t)).toBe(t);
    }
  });
});
