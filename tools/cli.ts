/**
 * The `synfire` command line: a registry of subcommands, the overview and help pages, and one
 * place that turns errors into messages and exit codes.
 *
 * Exit codes: 0 success, 1 failure (bad input file, impossible request, or a bug), 2 usage error.
 * A `UserError` is printed as `synfire <cmd>: error: <message>` without a stack trace; any other
 * error is a bug and is printed with its stack. With `--json`, stdout carries nothing but one
 * JSON object (the command's result, or `{"error": {...}}` when it fails before printing one);
 * everything else goes to stderr.
 *
 * Subcommands live in tools/commands/*.ts (each `export const command: Command`) and are listed
 * in tools/commands/index.ts.
 */
import { version } from '../package.json';
import { UserError } from '../src/errors';
import { closestMatch, formatColumns, formatHelp, parseArgs, type CommandSpec } from './args';
import { commands } from './commands/index';

/** How a command talks to the user. */
export interface CliIO {
  /**
   * Writes one line to stdout: `s` plus a newline, unless `s` already ends with one (so both
   * `out('x')` and `out('x\n')` print one line). With `json`, call it exactly once, with the
   * JSON text.
   */
  out(s: string): void;
  /** Writes one line to stderr, with the same newline rule as `out`. Progress and info go here. */
  err(s: string): void;
  /** True when `--json` was given: print only the result object on stdout, nothing else. */
  json: boolean;
  /** True when stderr is a terminal (live progress bars are drawn only then). */
  isTTY: boolean;
  /** Width of the stderr terminal in characters, when known. */
  columns?: number;
}

/** A subcommand: its options and what it does. `run` returns the exit code (0 on success). */
export interface Command {
  spec: CommandSpec;
  run(opts: Record<string, unknown>, io: CliIO): Promise<number> | number;
}

/** Where `main` writes; defaults to the process's stdout and stderr. Tests pass their own. */
export interface CliStreams {
  /** Writes `s` exactly as given to stdout. */
  stdout(s: string): void;
  /** Writes `s` exactly as given to stderr. */
  stderr(s: string): void;
  isTTY: boolean;
  columns?: number;
}

const PROG = 'synfire';
/** The package version; esbuild copies this one field of package.json into the bundle. */
export const VERSION: string = version;
const registry = new Map<string, Command>();

/** Adds a subcommand. Registering two commands with the same name is a programming error. */
export function registerCommand(cmd: Command): void {
  const name = cmd.spec.name;
  if (registry.has(name)) throw new Error(`command '${name}' is registered twice`);
  if (name === 'help' || name.startsWith('-')) throw new Error(`'${name}' cannot be a command name`);
  registry.set(name, cmd);
}

/** The registered subcommands, in registration order. */
export function registeredCommands(): Command[] {
  return [...registry.values()];
}

for (const cmd of commands) registerCommand(cmd);

/** The page `synfire` and `synfire --help` print. */
export function formatOverview(): string {
  const lines = [
    `${PROG}: a bit-exact model of Intel's Loihi-1 chip that trains spiking backprop on the chip itself`,
    '',
    'Usage:',
    `  ${PROG} <command> [options]`,
    `  ${PROG} <command> --help     show the options of a command`,
    `  ${PROG} help <command>       the same`,
    `  ${PROG} --version            print the version (${VERSION})`,
    '',
    'Commands:',
    ...formatColumns(registeredCommands().map((c) => [c.spec.name, c.spec.summary])),
    '',
    'Every command accepts --json (print only a JSON object on stdout) and -h/--help.',
    '',
    'Exit codes:',
    '  0  success',
    '  1  failure: bad input file, impossible request, or an internal error (a bug)',
    '  2  usage error: unknown command or option, bad option value',
  ];
  return lines.join('\n') + '\n';
}

/** Appends a newline unless the text already ends with one. */
function asLine(s: string): string {
  return s.endsWith('\n') ? s : s + '\n';
}

let pipeGuardInstalled = false;
let stdoutClosed = false;

/**
 * Makes a closed stdout or stderr pipe (e.g. `synfire --help | head -1`) harmless: further
 * writes to it are dropped instead of crashing with an unhandled EPIPE.
 */
function installPipeGuard(): void {
  if (pipeGuardInstalled) return;
  pipeGuardInstalled = true;
  const guard = (stream: NodeJS.WriteStream, onClosed: () => void) => {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') onClosed();
      else throw e;
    });
  };
  guard(process.stdout, () => {
    stdoutClosed = true;
  });
  guard(process.stderr, () => {});
}

function processStreams(): CliStreams {
  installPipeGuard();
  return {
    stdout(s) {
      if (!stdoutClosed && !process.stdout.destroyed) process.stdout.write(s);
    },
    stderr(s) {
      if (!process.stderr.destroyed) process.stderr.write(s);
    },
    isTTY: process.stderr.isTTY === true,
    columns: process.stderr.columns,
  };
}

/** Runs the command line `argv` (without the node and script paths) and returns the exit code. */
export async function main(argv: string[], streams: CliStreams = processStreams()): Promise<number> {
  const [first, ...rest] = argv;

  if (first === undefined || first === '--help' || first === '-h') {
    streams.stdout(formatOverview());
    return 0;
  }

  if (first === '--version' || first === '-V') {
    if (rest.length > 0) return usageFailure(streams, PROG, `--version takes no arguments (got ${rest.join(' ')})`);
    streams.stdout(`${PROG} ${VERSION}\n`);
    return 0;
  }

  if (first === 'help') {
    if (rest.length === 0) {
      streams.stdout(formatOverview());
      return 0;
    }
    if (rest.length > 1) return usageFailure(streams, PROG, `help takes one command name (got ${rest.join(' ')})`);
    const cmd = findCommand(streams, rest[0]);
    if (cmd === undefined) return 2;
    streams.stdout(formatHelp(cmd.spec, PROG));
    return 0;
  }

  const cmd = findCommand(streams, first);
  if (cmd === undefined) return 2;
  return runCommand(cmd, rest, streams);
}

/** Looks up a command; reports an unknown one (exit code 2 is then the caller's to return). */
function findCommand(streams: CliStreams, name: string): Command | undefined {
  const cmd = registry.get(name);
  if (cmd !== undefined) return cmd;
  const names = [...registry.keys()];
  const guess = closestMatch(name, names);
  const what = name.startsWith('-') ? `unknown option '${name}' (expected a command first)` : `unknown command '${name}'`;
  const hint =
    guess !== undefined
      ? `did you mean '${guess}'?`
      : `the commands are: ${names.join(', ')}`;
  usageFailure(streams, PROG, `${what}; ${hint}`);
  return undefined;
}

/** Prints a usage error with a pointer to the help page; returns exit code 2. */
function usageFailure(streams: CliStreams, who: string, message: string): number {
  const helpCmd = who === PROG ? `${PROG} --help` : `${who} --help`;
  streams.stderr(`${who}: error: ${message}\nRun '${helpCmd}' for usage.\n`);
  return 2;
}

async function runCommand(cmd: Command, args: string[], streams: CliStreams): Promise<number> {
  const who = `${PROG} ${cmd.spec.name}`;
  // Known before parsing so that a usage error is also reported as JSON when --json was asked.
  let json = args.slice(0, args.includes('--') ? args.indexOf('--') : args.length).includes('--json');
  let wroteStdout = false;
  const io: CliIO = {
    out(s) {
      wroteStdout = true;
      streams.stdout(asLine(s));
    },
    err(s) {
      streams.stderr(asLine(s));
    },
    json,
    isTTY: streams.isTTY,
    columns: streams.columns,
  };
  const jsonError = (message: string, exitCode: number) => {
    if (json && !wroteStdout) streams.stdout(JSON.stringify({ error: { message, exitCode } }) + '\n');
  };

  try {
    const opts = parseArgs(cmd.spec, args);
    if (opts.help === true) {
      streams.stdout(formatHelp(cmd.spec, PROG));
      return 0;
    }
    json = opts.json === true;
    io.json = json;
    const code = await cmd.run(opts, io);
    return code;
  } catch (e) {
    if (e instanceof UserError) {
      jsonError(e.message, e.exitCode);
      if (e.exitCode === 2) return usageFailure(streams, who, e.message);
      streams.stderr(`${who}: error: ${e.message}\n`);
      return e.exitCode;
    }
    const message = e instanceof Error ? e.message : String(e);
    jsonError(`internal error: ${message}`, 1);
    const detail = e instanceof Error && e.stack !== undefined ? e.stack : String(e);
    streams.stderr(`${who}: internal error (this is a bug in synfire): ${message}\n${detail}\n`);
    return 1;
  }
}
