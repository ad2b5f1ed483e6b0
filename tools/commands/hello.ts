/**
 * `synfire hello`: a tiny example command that shows how a command is written (options,
 * text vs --json output, errors) and that the CLI tests run end to end. Long-running commands
 * report progress on stderr with createProgress from tools/progress.ts.
 */
import { UserError } from '../../src/io/errors';
import type { Command } from '../cli';

export const command: Command = {
  spec: {
    name: 'hello',
    summary: 'Print a greeting (an example command for the CLI framework).',
    options: [
      { name: 'name', type: 'string', default: 'world', metavar: 'NAME', help: 'who to greet' },
      { name: 'times', type: 'int', default: 1, min: 1, max: 10, help: 'how many greetings to print' },
      { name: 'shout', type: 'flag', help: 'print the greeting in capitals' },
      {
        name: 'fail',
        type: 'choice',
        choices: ['none', 'user', 'bug'],
        default: 'none',
        help: "fail on purpose: 'user' with a user error (exit 1), 'bug' with an internal error",
      },
    ],
    examples: ['synfire hello --name Loihi --times 2', 'synfire hello --json'],
  },
  run(opts, io) {
    if (opts.fail === 'user') throw new UserError('failing on request (--fail user)');
    if (opts.fail === 'bug') throw new TypeError('failing on request (--fail bug)');
    const times = opts.times as number;
    let greeting = `hello, ${opts.name as string}!`;
    if (opts.shout === true) greeting = greeting.toUpperCase();
    const greetings: string[] = [];
    for (let i = 0; i < times; i++) greetings.push(greeting);
    if (io.json) io.out(JSON.stringify({ greetings }));
    else for (const g of greetings) io.out(g);
    return 0;
  },
};
