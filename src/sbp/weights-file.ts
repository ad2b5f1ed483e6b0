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
import { matrixShape, WEIGHT_FILE_MATRICES, weightProblem, type MatrixShape, type SbpWeights, type WeightMatrixName } from './matrices';

export type { SbpWeights };

export const WEIGHTS_FORMAT = 'synfire-weights/1';

/** The four matrices in file order with their post×pre shapes. */
function matrixShapes(sizes: [number, number, number]): FileMatrixShape[] {
  return WEIGHT_FILE_MATRICES.map((name) => ({ name, ...matrixShape(name, sizes) }));
}

interface FileMatrixShape extends MatrixShape {
  name: string;
}

/** Append each matrix as `,\n"name":[\nrow,\nrow]`, checking its length and values (RangeError). */
function writeMatrices(parts: string[], shapes: FileMatrixShape[], get: (name: string) => ArrayLike<number> | undefined): void {
  for (const shape of shapes) {
    const m = get(shape.name);
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
  writeMatrices(parts, matrixShapes(sizes), (name) => w[name as WeightMatrixName]);
  parts.push('}\n');
  return parts.join('');
}

/** Read and check each matrix of `shapes` from a parsed file (UserError via `fail`). */
function readMatrices(obj: Record<string, unknown>, shapes: FileMatrixShape[], fail: (msg: string) => never): Record<string, Int16Array> {
  const out: Record<string, Int16Array> = {};
  for (const shape of shapes) {
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
  return out;
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

  const out = readMatrices(obj, matrixShapes(sizes), fail);
  return { sizes, w1: out.w1!, w2: out.w2!, w2tPos: out.w2tPos!, w2tNeg: out.w2tNeg! };
}

/**
 * The weights of a network with one or more hidden layers (docs/deep.md), post×pre:
 * w[l] (layer l × layer l−1, l = 1..L+1), tPos[l] = +W_lᵀ and tNeg[l] = −W_lᵀ (layer l−1 ×
 * layer l, l = 2..L+1); lower indices unused.
 */
export interface LayeredWeights {
  /** [in, h1, ..., hL, out] */
  sizes: number[];
  w: Int16Array[];
  tPos: Int16Array[];
  tNeg: Int16Array[];
}

/**
 * The matrices of a layered file in file order: w1..w{L+1}, then w{l}tPos and w{l}tNeg for
 * l = 2..L+1. For one hidden layer this is the one-layer file (w1, w2, w2tPos, w2tNeg).
 */
function layeredShapes(sizes: readonly number[]): FileMatrixShape[] {
  const top = sizes.length - 1;
  const name = (l: number) => (l === 0 ? 'in' : l === top ? 'out' : top === 2 ? 'hidden' : `h${l}`);
  const shapes: FileMatrixShape[] = [];
  for (let l = 1; l <= top; l++) shapes.push({ name: `w${l}`, rows: sizes[l], cols: sizes[l - 1], label: `${name(l)}×${name(l - 1)} = ${sizes[l]}×${sizes[l - 1]}` });
  for (let l = 2; l <= top; l++)
    for (const sign of ['Pos', 'Neg'])
      shapes.push({ name: `w${l}t${sign}`, rows: sizes[l - 1], cols: sizes[l], label: `${name(l - 1)}×${name(l)} = ${sizes[l - 1]}×${sizes[l]}` });
  return shapes;
}

/** The one-layer weights as layered weights (the same arrays). */
export function layeredFromSbp(w: SbpWeights): LayeredWeights {
  const none = new Int16Array(0);
  return { sizes: [w.sizes[0], w.sizes[1], w.sizes[2]], w: [none, w.w1, w.w2], tPos: [none, none, w.w2tPos], tNeg: [none, none, w.w2tNeg] };
}

/**
 * Serialize layered weights. One hidden layer is written by weightsToJson, byte for byte;
 * several hidden layers use the same format with a longer "sizes" and more matrices.
 */
export function layeredWeightsToJson(w: LayeredWeights): string {
  if (!w.sizes || w.sizes.length < 3 || !w.sizes.every(isPositiveInteger)) {
    throw new RangeError(`weightsToJson: sizes must be at least three positive integers, got ${JSON.stringify(w.sizes)}`);
  }
  if (w.sizes.length === 3) return weightsToJson({ sizes: [w.sizes[0], w.sizes[1], w.sizes[2]], w1: w.w[1], w2: w.w[2], w2tPos: w.tPos[2], w2tNeg: w.tNeg[2] });
  const parts: string[] = [];
  parts.push(`{"format":${JSON.stringify(WEIGHTS_FORMAT)},\n"sizes":[${w.sizes.join(',')}]`);
  writeMatrices(parts, layeredShapes(w.sizes), (name) => {
    const m = /^w(\d+)(tPos|tNeg)?$/.exec(name) as RegExpExecArray;
    const l = Number(m[1]);
    return m[2] === 'tPos' ? w.tPos[l] : m[2] === 'tNeg' ? w.tNeg[l] : w.w[l];
  });
  parts.push('}\n');
  return parts.join('');
}

/** Parse a weight file with one or more hidden layers (one hidden layer: weightsFromJson). */
export function layeredWeightsFromJson(text: string, fileName: string): LayeredWeights {
  const fail = (msg: string): never => {
    throw new UserError(`${fileName}: ${msg}`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return fail(`not valid JSON: ${(e as Error).message}`);
  }
  const sizes0 = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>).sizes : undefined;
  if (!Array.isArray(sizes0) || sizes0.length <= 3) return layeredFromSbp(weightsFromJson(text, fileName));
  const obj = doc as Record<string, unknown>;
  if (obj.format !== WEIGHTS_FORMAT) fail(`unsupported "format" ${JSON.stringify(obj.format)} (expected "${WEIGHTS_FORMAT}")`);
  if (!sizes0.every(isPositiveInteger)) fail(`"sizes" must be positive integers [in, hidden..., out], got ${JSON.stringify(sizes0)}`);
  const sizes = (sizes0 as number[]).slice();
  const out = readMatrices(obj, layeredShapes(sizes), fail);
  const none = new Int16Array(0);
  const w: LayeredWeights = { sizes, w: [none], tPos: [none, none], tNeg: [none, none] };
  for (let l = 1; l < sizes.length; l++) w.w.push(out[`w${l}`]);
  for (let l = 2; l < sizes.length; l++) {
    w.tPos.push(out[`w${l}tPos`]);
    w.tNeg.push(out[`w${l}tNeg`]);
  }
  return w;
}
