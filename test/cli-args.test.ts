import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../src/errors';
import { editDistance, formatHelp, parseArgs, type CommandSpec } from '../tools/args';
import { main, registerCommand, type CliIO, type CliStreams } from '../tools/cli';
import { commands } from '../tools/commands/index';
import { MAX_HIDDEN } from '../tools/commands/options';
import { createProgress } from '../tools/progress';
import { ROOT, runCli, tempDir } from './fixtures';

const spec: CommandSpec = {
  name: 'train',
  summary: 'Train the network.',
  options: [
    { name: 'train-limit', type: 'int', min: 1, max: 60000, default: 60000, help: 'training samples per epoch' },
    { name: 'epochs', type: 'int', min: 1, default: 1, help: 'passes over the training set' },
    { name: 'offset', type: 'int', max: 0, help: 'a non-positive offset' },
    { name: 'learning-rate', type: 'number', min: 0, max: 1, default: 0.5, help: 'step size' },
    { name: 'dataset', type: 'choice', choices: ['mnist', 'fashion'], default: 'mnist', help: 'which data' },
    { name: 'out', type: 'string', metavar: 'FILE', help: 'where to save the weights' },
    { name: 'no-shuffle', type: 'flag', help: 'keep the data in file order' },
    { name: 'verbose', type: 'flag', help: 'say more' },
  ],
  examples: ['synfire train --epochs 2 --dataset fashion'],
};

/** Runs `fn`, expecting a UserError with exit code 2, and returns its message. */
function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    expect((e as UserError).exitCode).toBe(2);
    return (e as UserError).message;
  }
  throw new Error('expected a UserError');
}

describe('parseArgs', () => {
  it('fills in defaults under camelCased keys', () => {
    expect(parseArgs(spec, [])).toEqual({
      trainLimit: 60000,
      epochs: 1,
      offset: undefined,
      learningRate: 0.5,
      dataset: 'mnist',
      out: undefined,
      noShuffle: false,
      verbose: false,
      json: false,
    });
  });

  it('accepts --opt value and --opt=value, flags, and negative numbers as values', () => {
    const opts = parseArgs(spec, [
      '--train-limit', '1000', '--learning-rate=0.25', '--dataset=fashion', '--out', 'w.bin',
      '--no-shuffle', '--json', '--offset', '-3',
    ]);
    expect(opts.trainLimit).toBe(1000);
    expect(opts.learningRate).toBe(0.25);
    expect(opts.dataset).toBe('fashion');
    expect(opts.out).toBe('w.bin');
    expect(opts.noShuffle).toBe(true);
    expect(opts.verbose).toBe(false);
    expect(opts.json).toBe(true);
    expect(opts.offset).toBe(-3);
  });

  it('keeps the last of a repeated option', () => {
    expect(parseArgs(spec, ['--epochs', '2', '--epochs=5']).epochs).toBe(5);
  });

  it('returns {help: true} for -h and --help, even next to mistakes', () => {
    expect(parseArgs(spec, ['--help'])).toEqual({ help: true });
    expect(parseArgs(spec, ['-h'])).toEqual({ help: true });
    expect(parseArgs(spec, ['--bogus', '--help'])).toEqual({ help: true });
  });

  it('rejects an unknown option and suggests the closest one', () => {
    expect(usageError(() => parseArgs(spec, ['--epoch', '2']))).toBe('unknown option --epoch (did you mean --epochs?)');
    expect(usageError(() => parseArgs(spec, ['--trian-limit=5']))).toContain('did you mean --train-limit?');
    expect(usageError(() => parseArgs(spec, ['--jsno']))).toContain('did you mean --json?');
    const far = usageError(() => parseArgs(spec, ['--zzzzzzzzzz']));
    expect(far).toBe('unknown option --zzzzzzzzzz');
  });

  it('accepts --no-x only when declared under that name', () => {
    expect(parseArgs(spec, ['--no-shuffle']).noShuffle).toBe(true);
    expect(usageError(() => parseArgs(spec, ['--no-verbose']))).toMatch(/^unknown option --no-verbose/);
  });

  it('reports a missing value, at the end or before the next option', () => {
    expect(usageError(() => parseArgs(spec, ['--epochs']))).toBe('--epochs needs a value (an integer at least 1)');
    expect(usageError(() => parseArgs(spec, ['--out', '--verbose']))).toBe('--out needs a value (FILE)');
    expect(usageError(() => parseArgs(spec, ['--dataset=']))).toBe('--dataset needs a value (one of mnist, fashion)');
  });

  it('rejects non-integers for int options', () => {
    for (const bad of ['1.5', 'ten', '1e3', '0x10', '9007199254740993']) {
      expect(usageError(() => parseArgs(spec, ['--epochs', bad]))).toBe(`--epochs needs an integer (got '${bad}')`);
    }
    expect(usageError(() => parseArgs(spec, ['--learning-rate', 'fast']))).toBe("--learning-rate needs a number (got 'fast')");
  });

  it('rejects values out of range and says the range', () => {
    expect(usageError(() => parseArgs(spec, ['--train-limit', '0']))).toBe('--train-limit must be between 1 and 60000 (got 0)');
    expect(usageError(() => parseArgs(spec, ['--train-limit=60001']))).toBe('--train-limit must be between 1 and 60000 (got 60001)');
    expect(usageError(() => parseArgs(spec, ['--epochs', '-1']))).toBe('--epochs must be at least 1 (got -1)');
    expect(usageError(() => parseArgs(spec, ['--offset', '2']))).toBe('--offset must be at most 0 (got 2)');
    expect(usageError(() => parseArgs(spec, ['--learning-rate', '1.5']))).toBe('--learning-rate must be between 0 and 1 (got 1.5)');
    // The bounds themselves are allowed.
    expect(parseArgs(spec, ['--train-limit', '1']).trainLimit).toBe(1);
    expect(parseArgs(spec, ['--train-limit', '60000']).trainLimit).toBe(60000);
  });

  it('rejects a value that is not among the choices and lists them', () => {
    expect(usageError(() => parseArgs(spec, ['--dataset', 'cifar']))).toBe("--dataset must be one of mnist, fashion (got 'cifar')");
  });

  it('rejects positional arguments and values given to flags', () => {
    expect(usageError(() => parseArgs(spec, ['data.idx']))).toBe("unexpected argument 'data.idx': train takes only --options");
    expect(usageError(() => parseArgs(spec, ['--', 'x']))).toContain("unexpected argument 'x'");
    expect(usageError(() => parseArgs(spec, ['--verbose=yes']))).toContain('--verbose is a flag and takes no value');
  });
});

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and adjacent swaps', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3); // k→s, e→i, +g
    expect(editDistance('trian', 'train')).toBe(1); // one swap
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
});

describe('formatHelp', () => {
  const help = formatHelp(spec);
  // Descriptions may wrap onto a second line; compare with the whitespace collapsed.
  const flat = help.replace(/\s+/g, ' ');
  it('lists every option with its placeholder, range, choices and default', () => {
    for (const o of spec.options) {
      expect(help).toContain(`--${o.name}`);
      expect(flat).toContain(o.help);
    }
    expect(help).toContain('Usage: synfire train [options]');
    expect(help).toContain('Train the network.');
    expect(help).toContain('--out FILE');
    expect(help).toContain('--epochs N');
    expect(help).toContain('--dataset mnist|fashion');
    expect(flat).toContain('training samples per epoch (between 1 and 60000; default 60000)');
    expect(flat).toContain('which data (default mnist)');
    expect(help).toContain('--json');
    expect(help).toContain('print only a JSON object on stdout');
    expect(help).toContain('-h, --help');
    expect(help).toContain('synfire train --epochs 2 --dataset fashion');
  });
  it('keeps lines within 80 columns', () => {
    for (const line of help.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });
});

/** Streams that collect what main prints. */
function capture(isTTY = false): CliStreams & { stdoutText: () => string; stderrText: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: (s) => void (out += s),
    stderr: (s) => void (err += s),
    isTTY,
    stdoutText: () => out,
    stderrText: () => err,
  };
}

describe('main (in process)', () => {
  registerCommand({
    spec: { name: 'boom', summary: 'Fail in various ways.', options: [{ name: 'how', type: 'choice', choices: ['bug', 'user', 'usage', 'ok'], default: 'bug', help: 'how' }] },
    run(opts, io) {
      if (opts.how === 'user') throw new UserError('the file weights.bin is truncated at byte 12');
      if (opts.how === 'usage') throw new UserError('--a and --b cannot be combined', 2);
      if (opts.how === 'ok') {
        io.err('working...');
        io.out(io.json ? JSON.stringify({ ok: true }) : 'all good\n');
        return 0;
      }
      throw new TypeError('x is not a function');
    },
  });

  it('prints the overview with commands, usage and exit codes for no arguments and --help', async () => {
    for (const argv of [[], ['--help'], ['-h'], ['help']]) {
      const s = capture();
      expect(await main(argv, s)).toBe(0);
      const text = s.stdoutText();
      expect(text).toContain('train');
      expect(text).toContain('Train the sBP network');
      expect(text).toContain('boom');
      expect(text).toContain('synfire <command> [options]');
      expect(text).toMatch(/0\s+success/);
      expect(text).toMatch(/1\s+failure/);
      expect(text).toMatch(/2\s+usage error/);
      expect(s.stderrText()).toBe('');
    }
  });

  it('prints a command help for `help <cmd>` and `<cmd> --help`', async () => {
    const a = capture();
    const b = capture();
    expect(await main(['help', 'boom'], a)).toBe(0);
    expect(await main(['boom', '--help'], b)).toBe(0);
    expect(a.stdoutText()).toContain('Usage: synfire boom [options]');
    expect(a.stdoutText()).toBe(b.stdoutText());
  });

  it('suggests the closest command for a typo', async () => {
    const s = capture();
    expect(await main(['bom'], s)).toBe(2);
    expect(s.stderrText()).toContain("synfire: error: unknown command 'bom'; did you mean 'boom'?");
    expect(s.stdoutText()).toBe('');
  });

  it('prints a user error without a stack and exits with its code', async () => {
    const s = capture();
    expect(await main(['boom', '--how', 'user'], s)).toBe(1);
    expect(s.stderrText()).toBe('synfire boom: error: the file weights.bin is truncated at byte 12\n');
    const u = capture();
    expect(await main(['boom', '--how', 'usage'], u)).toBe(2);
    expect(u.stderrText()).toContain('synfire boom: error: --a and --b cannot be combined');
    expect(u.stderrText()).not.toMatch(/\n\s+at /);
  });

  it('prints any other error with its stack and exits 1', async () => {
    const s = capture();
    expect(await main(['boom'], s)).toBe(1);
    expect(s.stderrText()).toContain('synfire boom: internal error (this is a bug in synfire): x is not a function');
    expect(s.stderrText()).toMatch(/TypeError: x is not a function\n\s+at /);
  });

  it('with --json, puts only one JSON object on stdout, also for errors', async () => {
    const ok = capture();
    expect(await main(['boom', '--how', 'ok', '--json'], ok)).toBe(0);
    expect(JSON.parse(ok.stdoutText())).toEqual({ ok: true });
    expect(ok.stderrText()).toBe('working...\n');
    const bad = capture();
    expect(await main(['boom', '--how', 'user', '--json'], bad)).toBe(1);
    expect(JSON.parse(bad.stdoutText())).toEqual({ error: { message: 'the file weights.bin is truncated at byte 12', exitCode: 1 } });
    const usage = capture();
    expect(await main(['boom', '--bogus', '--json'], usage)).toBe(2);
    expect(JSON.parse(usage.stdoutText()).error.exitCode).toBe(2);
  });

  it('ends every out/err write with exactly one newline', async () => {
    const s = capture();
    await main(['boom', '--how', 'ok'], s);
    expect(s.stdoutText()).toBe('all good\n');
  });
});

/** A CliIO that records stderr lines, with a settable fake clock. */
function fakeIO(isTTY: boolean, json = false) {
  const lines: string[] = [];
  const io: CliIO = { out: () => {}, err: (s) => void lines.push(s), json, isTTY, columns: 200 };
  return { io, lines };
}

describe('createProgress', () => {
  it('draws a live bar on a terminal, at most every 100 ms, with rate, fields and ETA', () => {
    const { io, lines } = fakeIO(true);
    let t = 0;
    const p = createProgress({ total: 60000, label: 'train', io, now: () => t });
    // A steady 1,000 samples per second: the smoothed rate must settle on exactly that.
    for (let ms = 100; ms <= 12000; ms += 50) {
      t = ms;
      p.update(ms, { 'acc(last 5k)': '91.2%' });
    }
    // 239 updates 50 ms apart: only every second one (at 100, 200, ..., 12,000 ms) may redraw.
    expect(lines.length).toBe(120);
    const last = lines[lines.length - 1];
    expect(last.startsWith('\x1b[1A\x1b[2K')).toBe(true); // redrawn in place
    expect(lines[0].startsWith('\x1b')).toBe(false);
    // 12,000 of 60,000 = 20.0%; 48,000 left at 1,000/s → 48 s.
    expect(last).toContain('train [####................] 12,000/60,000 20.0% 1,000 samples/s acc(last 5k) 91.2% ETA 0:48');
    t = 15000;
    p.finish('accuracy 91.0%');
    expect(lines[lines.length - 1]).toContain('12,000/60,000 20.0% 800 samples/s acc(last 5k) 91.2% in 0:15 accuracy 91.0%');
    const before = lines.length;
    p.update(13000);
    p.finish();
    expect(lines.length).toBe(before);
  });

  it('drops the bar, then cuts, to keep the live line within a narrow terminal', () => {
    const { io, lines } = fakeIO(true);
    io.columns = 70;
    let t = 0;
    const p = createProgress({ total: 60000, label: 'train', io, now: () => t });
    t = 1000;
    p.update(500, { 'acc(last 5k)': '91.2%' });
    // 59,500 left at 500/s → 119 s. With the bar this line would need 86 columns.
    expect(lines[0]).toBe('train 500/60,000 0.8% 500 samples/s acc(last 5k) 91.2% ETA 1:59');
    t = 2000;
    p.update(1000, { 'acc(last 5k)': '91.2%', loss: '0.123456789' });
    const shown = lines[1].replace('\x1b[1A\x1b[2K', '');
    expect(shown).toBe('train 1,000/60,000 1.7% 500 samples/s acc(last 5k) 91.2% loss 0.123456789 ETA 1:58'.slice(0, 69));
  });

  it('prints a plain line every everySeconds and at the end when not a terminal', () => {
    const { io, lines } = fakeIO(false);
    let t = 0;
    const p = createProgress({ total: 100, label: 'verify', io, everySeconds: 2, now: () => t, unit: 'images' });
    for (let i = 1; i <= 100; i++) {
      t = i * 100; // 10 images per second for 10 s
      p.update(i);
    }
    // Lines at 2, 4, 6, 8, 10 s.
    expect(lines.length).toBe(5);
    expect(lines[0]).toBe('verify 20/100 20.0% 10.0 images/s ETA 0:08');
    t = 10000;
    p.finish();
    expect(lines.length).toBe(6);
    expect(lines[5]).toBe('verify 100/100 100.0% 10.0 images/s in 0:10');
    for (const l of lines) expect(l).not.toContain('\x1b');
  });

  it('prints nothing when quiet or in --json mode', () => {
    for (const [isTTY, json, quiet] of [[true, true, false], [false, true, false], [true, false, true], [false, false, true]]) {
      const { io, lines } = fakeIO(isTTY, json);
      let t = 0;
      const p = createProgress({ total: 10, label: 'x', io, quiet, everySeconds: 0, now: () => t });
      for (let i = 1; i <= 10; i++) {
        t += 1000;
        p.update(i);
      }
      p.finish('done');
      expect(lines).toEqual([]);
    }
  });
});

describe('help pages of the real commands', () => {
  it('name every option in the usage line as the option table does (--epochs E in both)', () => {
    let checked = 0;
    for (const cmd of commands) {
      const help = formatHelp(cmd.spec, 'synfire');
      const optionLines = help.split('\n').filter((l) => /^\s+--/.test(l));
      for (const m of (cmd.spec.usage ?? '').matchAll(/--([a-z-]+) ([^\s\]]+)/g)) {
        const [, name, meta] = m;
        const line = optionLines.find((l) => l.trimStart().startsWith(`--${name} `));
        expect(line, `${cmd.spec.name}: --${name} in the usage line has no option`).toBeDefined();
        expect(line!.trimStart().startsWith(`--${name} ${meta} `) || line!.trim() === `--${name} ${meta}`, `${cmd.spec.name}: usage says --${name} ${meta}, options say: ${line}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(6);
  });

  it('give --hidden one cap everywhere (MAX_HIDDEN): one more is a usage error in every command', () => {
    const withHidden = commands.filter((c) => c.spec.options.some((o) => o.name === 'hidden'));
    expect(withHidden.map((c) => c.spec.name).sort()).toEqual(['embedded', 'host', 'plan', 'profile', 'raster', 'serial-demo', 'train', 'verify']);
    for (const cmd of withHidden) {
      expect(cmd.spec.options.find((o) => o.name === 'hidden')!.max, cmd.spec.name).toBe(MAX_HIDDEN);
      expect(parseArgs(cmd.spec, ['--hidden', String(MAX_HIDDEN)]).hidden).toBe(MAX_HIDDEN);
      expect(usageError(() => parseArgs(cmd.spec, ['--hidden', String(MAX_HIDDEN + 1)]))).toContain('--hidden');
    }
  });
});

describe('bin/synfire.js end to end', () => {
  const root = ROOT;
  const run = (...args: string[]) => runCli(args);

  it('prints the demo help', () => {
    const r = run('demo', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: synfire demo [options]');
    expect(r.stdout).toContain('--steps N');
    expect(r.stderr).toBe('');
  });

  it('exits 2 for an unknown command, with a suggestion and no stack trace', () => {
    const r = run('nosuch');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("synfire: error: unknown command 'nosuch'");
    expect(r.stderr).toContain('the commands are: ');
    expect(r.stderr).toContain('train');
    expect(r.stderr).toContain("Run 'synfire --help'");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 for an unknown option', () => {
    const r = run('demo', '--bogus');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('synfire demo: error: unknown option --bogus');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--version prints the package version, bundled into dist/cli.js (no package.json read at run time)', () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    const r = run('--version');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`synfire ${version}\n`);
    expect(r.stderr).toBe('');
    expect(run('-V').stdout).toBe(`synfire ${version}\n`);
    // the bundle alone, away from package.json, knows its version
    const dir = tempDir('version');
    try {
      copyFileSync(join(root, 'dist', 'cli.js'), join(dir, 'cli.mjs'));
      writeFileSync(join(dir, 'run.mjs'), "import { main } from './cli.mjs';\nmain(['--version']).then((c) => { process.exitCode = c; });\n");
      const alone = spawnSync(process.execPath, ['run.mjs'], { cwd: dir, encoding: 'utf8' });
      expect(alone.stdout).toBe(`synfire ${version}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const extra = run('--version', 'train');
    expect(extra.status).toBe(2);
    expect(extra.stderr).toContain('--version takes no arguments');
  });

  it('runs a command in text and in JSON (only the JSON object on stdout)', () => {
    const text = run('demo', '--steps', '8');
    expect(text.status).toBe(0);
    expect(text.stdout.length).toBeGreaterThan(0);
    const json = run('demo', '--json', '--steps', '8');
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout).steps).toBe(8);
  });
});
