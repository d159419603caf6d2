#!/usr/bin/env node
/** The `jiema` executable. */
import { hideBin } from 'yargs/helpers';
import { runCli } from './cli.js';

const code = await runCli(hideBin(process.argv));
process.exitCode = code;
// Idle keep-alive sockets must not hold a finished command open; this timer does not keep it alive.
setTimeout(() => process.exit(code), 200).unref();
