/**
 * Moved: the training checkpoint is an sBP format and lives in src/sbp/checkpoint.ts; UTF-8
 * is in ./utf8.ts. This file only keeps old import paths working until firmware-model/ and
 * the other importers outside this branch switch; delete it then (src/io then no longer
 * imports src/sbp).
 */
export * from '../sbp/checkpoint';
export { utf8Decode, utf8Encode } from './utf8';
