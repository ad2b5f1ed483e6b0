/**
 * The JSON weight file of the sBP network ("synfire-weights/1"):
 *
 *   {"format":"synfire-weights/1","sizes":[in,hidden,out],
 *    "w1":[[...],...],"w2":[[...],...],"w2tPos":[[...],...],"w2tNeg":[[...],...]}
 *
 * Every matrix is stored post×pre as an array of rows (one row per postsynaptic neuron):
 * w1 is hidden×in, w2 is out×hidden, and the two transposed copies w2tPos (+W2ᵀ) and
 * w2tNeg (−W2ᵀ) are hidden×out (shapes from matrices.ts). Values are integer weight units
 * of the chip's 8-bit mixed-sign plastic weights: even integers in [−256, 254] (PLASTIC in
 * matrices.ts). In memory each matrix is a flat Int16Array in row-major post×pre order.
 *
 * Unknown top-level keys are ignored so later versions can add fields. The format is also
 * described in docs/file-formats.md. Portable: no Node APIs.
 */
import { UserError } from '../errors';
import { matrixShape, WEIGHT_FILE_MATRICES, weightProblem, type SbpWeights, type WeightMatrixName } from './matrices';

export type { SbpWeights };

export const WEIGHTS_FORMAT = 'synfire-weights/1';

/** The four matrices in file order with their post×pre shapes. */
function matrixShapes(sizes: [number, number, number]) {
  return WEIGHT_FILE_MATRICES.map((name) => ({ name, ...matrixShape(name, sizes) }));
}

function isPositiveInteger(v: unknown): v is number {
  return typeof v === 'number' && isFinite(v) && Math.floor(v) === v && v > 0;
}

/**
 * Serialize weights as JSON, one matrix row per line. Throws RangeError (a programming
 * error, not a user error) if a matrix does not match `sizes` or holds a value that
 * `weightsFromJson` would reject, so every written file can be read back.
 */
export function weightsToJson(w: SbpWeights): string {
  if (!w.sizes || w.sizes.length !== 3 || !w.sizes.every(isPositiveInteger)) {
    throw new RangeError(`weightsToJson: sizes must be three positive integers, got ${JSON.stringify(w.sizes)}`);
  }
  const sizes: [number, number, number] = [w.sizes[0], w.sizes[1], w.sizes[2]];
  const parts: string[] = [];
  parts.push(`{"format":${JSON.stringify(WEIGHTS_FORMAT)},\n"sizes":[${sizes.join(',')}]`);
  for (const shape of matrixShapes(sizes)) {
    const m = w[shape.name];
    if (!m || m.length !== shape.rows * shape.cols) {
      throw new RangeError(
        `weightsToJson: ${shape.name} has ${m ? m.length : 'no'} values, ${shape.label} needs ${shape.rows * shape.cols}`,
      );
    }
    const rows: string[] = [];
    for (let r = 0; r < shape.rows; r++) {
      const base = r * shape.cols;
      const cells: string[] = new Array(shape.cols);
      for (let c = 0; c < shape.cols; c++) {
        const v = m[base + c];
        const problem = weightProblem(v);
        if (problem !== null) throw new RangeError(`weightsToJson: ${shape.name}[${r}][${c}] = ${v} ${problem}`);
        cells[c] = String(v);
      }
      rows.push(`[${cells.join(',')}]`);
    }
    parts.push(`,\n${JSON.stringify(shape.name)}:[\n${rows.join(',\n')}]`);
  }
  parts.push('}\n');
  return parts.join('');
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? `the string ${JSON.stringify(v)}` : typeof v === 'object' ? 'an object' : String(v);
}

/**
 * Parse and validate a weight file. `fileName` is only used in error messages.
 * Throws UserError naming the file and the offending field, row, column and value.
 */
export function weightsFromJson(text: string, fileName: string): SbpWeights {
  const fail = (msg: string): never => {
    throw new UserError(`${fileName}: ${msg}`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return fail(`not valid JSON: ${(e as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    return fail(`expected a JSON object with "format":"${WEIGHTS_FORMAT}", got ${describe(doc)}`);
  }
  const obj = doc as Record<string, unknown>;

  if (!('format' in obj)) fail(`missing "format" (expected "${WEIGHTS_FORMAT}")`);
  if (obj.format !== WEIGHTS_FORMAT) {
    fail(`unsupported "format" ${JSON.stringify(obj.format)} (expected "${WEIGHTS_FORMAT}")`);
  }

  const rawSizes = obj.sizes;
  if (!Array.isArray(rawSizes) || rawSizes.length !== 3 || !rawSizes.every(isPositiveInteger)) {
    fail(
      `"sizes" must be three positive integers [in, hidden, out], got ${
        rawSizes === undefined ? 'nothing' : JSON.stringify(rawSizes)
      }`,
    );
  }
  const s = rawSizes as number[];
  const sizes: [number, number, number] = [s[0], s[1], s[2]];

  const out: Partial<Record<WeightMatrixName, Int16Array>> = {};
  for (const shape of matrixShapes(sizes)) {
    const { name, rows, cols, label } = shape;
    if (!(name in obj)) fail(`missing matrix "${name}" (expected ${label} as an array of rows)`);
    const m = obj[name];
    if (!Array.isArray(m)) fail(`"${name}" must be an array of ${rows} rows (${label}), got ${describe(m)}`);
    const rowList = m as unknown[];
    if (rowList.length !== rows) {
      fail(`"${name}" has ${rowList.length} rows, expected ${rows} (${label})`);
    }
    // Check every row's shape before allocating, so absurd sizes cannot force a huge allocation.
    for (let r = 0; r < rows; r++) {
      const row = rowList[r];
      if (!Array.isArray(row)) fail(`"${name}" row ${r} must be an array of ${cols} values, got ${describe(row)}`);
      if ((row as unknown[]).length !== cols) {
        fail(`"${name}" row ${r} has ${(row as unknown[]).length} values, expected ${cols} (${label})`);
      }
    }
    const flat = new Int16Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      const row = rowList[r] as unknown[];
      for (let c = 0; c < cols; c++) {
        const v = row[c];
        const problem = weightProblem(v);
        if (problem !== null) fail(`${name}[${r}][${c}] = ${JSON.stringify(v)} ${problem}`);
        flat[r * cols + c] = v as number;
      }
    }
    out[name] = flat;
  }
  return { sizes, w1: out.w1!, w2: out.w2!, w2tPos: out.w2tPos!, w2tNeg: out.w2tNeg! };
}
