/** The SDK's version, sent in the User-Agent. Kept in step with package.json. */
export const SDK_VERSION = '0.1.0';
