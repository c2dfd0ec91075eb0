/**
 * Test support shared by the tests of both unit agents (`factory-agent.sh` and `createUnitAgent`):
 * what the server holds for a unit that built, passed every self-test and reported ready.
 * Test-only; not part of the published package.
 */
import { passwordWordList, passwordWords } from "@factory/core";
import { expect } from "vitest";

/** A unit as `GET /api/units/:mac` returns it to a station (only the fields checked here). */
export interface ReportedUnit {
  status: string;
  test_results: Record<string, string>;
  admin_password: string;
  services_password: string;
}

/**
 * Expects `unit` ready with the six self-tests both agent tests run (portainer, semaphore,
 * management_vm, adguard, opnsense_routing, custom) and the isolation check all passed.
 */
export function expectReadyAllPassed(unit: ReportedUnit): void {
  expect(unit.status).toBe("ready");
  expect(unit.test_results).toEqual({
    portainer: "pass",
    semaphore: "pass",
    management_vm: "pass",
    adguard: "pass",
    opnsense_routing: "pass",
    custom: "pass",
    isolation: "pass",
  });
}

/** Expects every word of the unit's two passwords to be from the word list; returns the words of each. */
export function expectWordListPasswords(unit: ReportedUnit): { admin: string[]; services: string[] } {
  const words = new Set(passwordWordList());
  const decode = (pw: string) => {
    const decoded = passwordWords(pw);
    expect(decoded, pw).toBeDefined();
    for (const w of decoded!) expect(words.has(w)).toBe(true);
    return decoded!;
  };
  return { admin: decode(unit.admin_password), services: decode(unit.services_password) };
}
