/**
 * Realistic phone numbers and SMS texts from the catalogue fixture: numbers in each country's
 * own format (faker, reseeded from the simulator's Rng before each use, so instances never share
 * state), and each service's own SMS wording with a code of its usual length.
 */
import { faker } from '@faker-js/faker/locale/base';
import { extractCode, type FixtureCountry, type FixtureService, type Rng } from '@jiema/core';

function seedFrom(rng: Rng): number {
  return Math.floor(rng.next() * 2 ** 31);
}

/** Digits only, starting with the calling code, as the SMS-Activate protocol gives them. */
export function makePhone(rng: Rng, country: FixtureCountry | undefined): string {
  faker.seed(seedFrom(rng));
  if (!country) return `1${faker.helpers.replaceSymbols('##########')}`;
  return country.dialCode + faker.helpers.replaceSymbols(country.phoneFormat);
}

function makeCode(rng: Rng, length: number): string {
  let code = String(1 + Math.floor(rng.next() * 9));
  while (code.length < length) code += String(Math.floor(rng.next() * 10));
  return code;
}

/** A realistic SMS; its code is what the project's one extractor reads in it (docs/decisions.md D48). */
export function makeSms(rng: Rng, service: FixtureService | undefined): { text: string; code: string | null } {
  const code = makeCode(rng, service?.codeLength ?? 6);
  const templates = service?.smsTemplates ?? ['Your verification code is {code}'];
  const template = templates[Math.floor(rng.next() * templates.length)]!;
  const text = template.replaceAll('{code}', code);
  return { text, code: extractCode(text) };
}
