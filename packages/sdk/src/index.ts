/** @jiema/sdk — placeholder until issue 5 lands. */
export const SDK_VERSION = '0.1.0';
