/**
 * The shape of a CLI command: yargs' command, description and builder, and a handler that gets
 * the parsed arguments and an Output (tables for people, JSON with --json).
 */
import type { Argv } from 'yargs';
import type { Output } from '../output.js';

export interface Command {
  command: string | string[];
  describe: string;
  builder: (y: Argv) => Argv;
  handler: (args: Record<string, unknown>, out: Output) => Promise<void> | void;
}
