import { Command, CommanderError } from 'commander';
import { AppError } from '../errors.js';
import { registerJira } from './jira.js';
import { registerKeys } from './keys.js';
import { registerMappings } from './mappings.js';
import { registerOAuth1 } from './oauth1.js';
import { registerServe } from './serve.js';
import { registerUsers } from './users.js';

/**
 * The `testbridge` command. Each capability registers its own sub-commands from its own
 * file so that the folders stay independent.
 */
export function buildProgram(): Command {
  const program = new Command('testbridge')
    .description('Testbridge: test management with a Jira integration you can trust')
    .exitOverride()
    .showHelpAfterError();
  registerServe(program);
  registerUsers(program);
  registerKeys(program);
  registerOAuth1(program);
  registerJira(program);
  registerMappings(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof AppError) {
      process.stderr.write(`error: ${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ''}`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}
