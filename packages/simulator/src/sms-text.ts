/**
 * Realistic phone numbers and SMS texts from the catalogue fixture: numbers in each country's
 * own format (faker, reseeded from the simulator's Rng before each use, so instances never share
 * state), and each service's own SMS wording with a code of its usual length.
 */
import { faker } from '@faker-js/faker/locale/base';
import type { FixtureCountry, FixtureService, Rng } from '@jiema/core';

function seedFrom(rng: Rng): number {
  return Math.floor(rng.next() * 2 ** 31);
}

/** Digits only, starting with the calling code, as the SMS-Activate protocol gives them. */
export function makePhone(rng: Rng, country: FixtureCountry | undefined): string {
  faker.seed(seedFrom(rng));
  if (!country) return `1${faker.helpers.replaceSymbols('##########')}`;
  return country.dialCode + faker.helpers.replaceSymbols(country.phoneFormat);
}

export function makeCode(rng: Rng, length: number): string {
  let code = String(1 + Math.floor(rng.next() * 9));
  while (code.length < length) code += String(Math.floor(rng.next() * 10));
  return code;
}

export function makeSms(rng: Rng, service: FixtureService | undefined): { text: string; code: string } {
  const code = makeCode(rng, service?.codeLength ?? 6);
  const templates = service?.smsTemplates ?? ['Your verification code is {code}'];
  const template = templates[Math.floor(rng.next() * templates.length)]!;
  return { text: template.replaceAll('{code}', code), code };
}

/** The code in a free-text SMS: the first run of 4–8 digits. */
export function findCode(text: string): string | null {
  return /(?<!\d)\d{4,8}(?!\d)/.exec(text)?.[0] ?? null;
}
