/**
 * SYNFIRE_DEVICE: true in a board bundle (tools/build-boards.mjs defines it), undeclared
 * everywhere else (Node, tests, the portable bundle). Code a device never runs is written
 * under `typeof SYNFIRE_DEVICE !== 'boolean'` (the naive kernel, the time model): in a board
 * bundle the test is the constant false and the bundler drops that code.
 */
declare global {
  const SYNFIRE_DEVICE: boolean | undefined;
}

export {};
