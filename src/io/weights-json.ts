/**
 * Moved: the weight file is an sBP format and lives in src/sbp/weights-file.ts. This file
 * only keeps old import paths working until firmware-model/ and src/energy/profile.ts
 * switch; delete it then (src/io then no longer imports src/sbp).
 */
export * from '../sbp/weights-file';
