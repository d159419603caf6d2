// Marks dist/cjs as CommonJS. The package is "type": "module", so without this marker Node
// would load the CommonJS build's .js files as ESM. Run after every `tsc -b` that builds it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cjs');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
