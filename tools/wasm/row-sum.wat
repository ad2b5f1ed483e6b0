;; The WebAssembly SIMD kernel: row sums (sum_rows) and the update of memoryless ranges
;; (visit_range, below). Row sums (see src/chip/row-sum.ts for the contract):
;;   out[j] = sum_{q < count} w[rows[q] * rowLen + j]   for j < rowLen,
;; with w Int16 (sign-extended to i32 before adding), rows i32, out i32 (overwritten, or added
;; to when keep != 0). All pointers are byte offsets into the exported memory, and all address
;; arithmetic is i32, mod 2^32: the caller may pass w minus rowBase rows (so that the entries
;; of rows are row numbers plus rowBase) and rows advanced to its first entry. Additions are
;; i32 and wrap mod 2^32, which never happens in range: |sum| <= count * 32768 < 2^31 for
;; count < 2^16, and the chip's weights (|w| <= 256) allow 2^23 rows. Rows are not
;; bounds-checked here (the caller guarantees every row is a row of w); an address past the
;; memory traps.
;;
;; With narrow != 0 the caller guarantees |w| <= 4095 for every selected row: rows are then
;; taken eight at a time and added in i16 lanes before widening (a sum of eight such values is
;; at most 8 * 4095 = 32760 in magnitude, so no i16 lane ever wraps), halving the work per row.
;; Otherwise, and for the rows left over, rows are taken four at a time so that each 8-column
;; chunk of out is loaded and stored once per four rows (the weight loads are then the only
;; memory traffic that grows with count); the remaining count % 4 rows go one at a time.
;; Columns go 8 at a time (one i16x8 load, widened into two i32x4 halves), with a scalar tail
;; for rowLen % 8. Loads need no alignment.
(module
  (memory (export "memory") 1)

  (func (export "sum_rows")
    (param $w i32) (param $rowLen i32) (param $rows i32) (param $count i32) (param $out i32) (param $narrow i32) (param $keep i32)
    (local $j i32)        ;; column index
    (local $jb i32)       ;; 2 * j
    (local $b4 i32) (local $b5 i32) (local $b6 i32) (local $b7 i32) ;; more row addresses (narrow)
    (local $q i32)        ;; row-list index
    (local $vecEnd i32)   ;; rowLen rounded down to a multiple of 8
    (local $rowBytes i32) ;; 2 * rowLen
    (local $b0 i32) (local $b1 i32) (local $b2 i32) (local $b3 i32) ;; byte addresses of rows
    (local $o i32)        ;; byte address of out[j]
    (local $lo v128) (local $hi v128) (local $v v128)

    (local.set $vecEnd (i32.and (local.get $rowLen) (i32.const -8)))
    (local.set $rowBytes (i32.shl (local.get $rowLen) (i32.const 1)))

    ;; out[0 .. rowLen) = 0, unless keep != 0 (then the rows are added to what out holds)
    (if (i32.eqz (local.get $keep)) (then
      (memory.fill (local.get $out) (i32.const 0) (i32.shl (local.get $rowLen) (i32.const 2)))))

    ;; ---- narrow weights: eight rows at a time, added in i16 lanes ----
    (local.set $q (i32.const 0))
    (if (local.get $narrow) (then
      (block $octsDone
        (loop $octs
          (br_if $octsDone (i32.gt_s (i32.add (local.get $q) (i32.const 8)) (local.get $count)))
          (local.set $b0 (i32.add (local.get $w) (i32.mul (i32.load offset=0
            (i32.add (local.get $rows) (i32.shl (local.get $q) (i32.const 2)))) (local.get $rowBytes))))
          (local.set $b1 (i32.add (local.get $w) (i32.mul (i32.load offset=4
            (i32.add (local.get $rows) (i32.shl (local.get $q) (i32.const 2)))) (local.get $rowBytes))))
          (local.set $b2 (i32.add (local.get $w) (i32.mul (i32.load offset=8
            (i32.add (local.get $rows) (i32.shl (local.get $q) (i32.const 2)))) (local.get $rowBytes))))
          (local.set $b3 (i32.add (local.get $w) (i32.mul (i32.load offset=12
            (i32.add (local.get $rows) (i32.shl (local.get $q) (i32.const 2)))) (local.get $rowBytes))))
          (local.set $b4 (i32.add (local.get $w) (i32.mul (i32.load offset=16
            (i32.add (local.get $rows) (i32.shl (local.get $q) (i32.const 2)))) (local.get $rowBytes))))
          (local.set $b5 (i32.add (local.get $w) (i32.mul (i32.load offset=20
            (i32.add (local.get $rows) (i32.shl (local.get $q) (i32.const 2)))) (local.get $rowBytes))))
          (local.set $b6 (i32.add (local.get $w) (i32.mul (i32.load offset=24
            (i32.add (local.get $rows) (i32.shl (local.get $q) (i32.const 2)))) (local.get $rowBytes))))
          (local.set $b7 (i32.add (local.get $w) (i32.mul (i32.load offset=28
            (i32.add (local.get $rows) (i32.shl (local.get $q) (i32.const 2)))) (local.get $rowBytes))))
          (local.set $j (i32.const 0))
          (block $oVecDone
            (loop $oVec
              (br_if $oVecDone (i32.ge_s (local.get $j) (local.get $vecEnd)))
              (local.set $jb (i32.shl (local.get $j) (i32.const 1)))
              (local.set $v (i16x8.add
                (i16x8.add (i16x8.add (v128.load align=2 (i32.add (local.get $b0) (local.get $jb))) (v128.load align=2 (i32.add (local.get $b1) (local.get $jb)))) (i16x8.add (v128.load align=2 (i32.add (local.get $b2) (local.get $jb))) (v128.load align=2 (i32.add (local.get $b3) (local.get $jb)))))
                (i16x8.add (i16x8.add (v128.load align=2 (i32.add (local.get $b4) (local.get $jb))) (v128.load align=2 (i32.add (local.get $b5) (local.get $jb)))) (i16x8.add (v128.load align=2 (i32.add (local.get $b6) (local.get $jb))) (v128.load align=2 (i32.add (local.get $b7) (local.get $jb)))))))
              (local.set $o (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))))
              (v128.store offset=0 align=4 (local.get $o)
                (i32x4.add (v128.load offset=0 align=4 (local.get $o)) (i32x4.extend_low_i16x8_s (local.get $v))))
              (v128.store offset=16 align=4 (local.get $o)
                (i32x4.add (v128.load offset=16 align=4 (local.get $o)) (i32x4.extend_high_i16x8_s (local.get $v))))
              (local.set $j (i32.add (local.get $j) (i32.const 8)))
              (br $oVec)))
          (block $oTailDone
            (loop $oTail
              (br_if $oTailDone (i32.ge_s (local.get $j) (local.get $rowLen)))
              (local.set $jb (i32.shl (local.get $j) (i32.const 1)))
              (local.set $o (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))))
              (i32.store align=4 (local.get $o)
                (i32.add (i32.load align=4 (local.get $o))
                  (i32.add
                    (i32.add (i32.add (i32.load16_s align=2 (i32.add (local.get $b0) (local.get $jb))) (i32.load16_s align=2 (i32.add (local.get $b1) (local.get $jb)))) (i32.add (i32.load16_s align=2 (i32.add (local.get $b2) (local.get $jb))) (i32.load16_s align=2 (i32.add (local.get $b3) (local.get $jb)))))
                    (i32.add (i32.add (i32.load16_s align=2 (i32.add (local.get $b4) (local.get $jb))) (i32.load16_s align=2 (i32.add (local.get $b5) (local.get $jb)))) (i32.add (i32.load16_s align=2 (i32.add (local.get $b6) (local.get $jb))) (i32.load16_s align=2 (i32.add (local.get $b7) (local.get $jb))))))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $oTail)))
          (local.set $q (i32.add (local.get $q) (i32.const 8)))
          (br $octs)))))

    ;; ---- four rows at a time (from q: 0, or where the eight-row blocks stopped) ----
    (block $quadsDone
      (loop $quads
        (br_if $quadsDone (i32.gt_s (i32.add (local.get $q) (i32.const 4)) (local.get $count)))
        ;; b_k = w + rows[q + k] * 2 * rowLen
        (local.set $b0 (i32.add (local.get $w) (i32.mul (i32.load offset=0
          (i32.add (local.get $rows) (i32.shl (local.get $q) (i32.const 2)))) (local.get $rowBytes))))
        (local.set $b1 (i32.add (local.get $w) (i32.mul (i32.load offset=4
          (i32.add (local.get $rows) (i32.shl (local.get $q) (i32.const 2)))) (local.get $rowBytes))))
        (local.set $b2 (i32.add (local.get $w) (i32.mul (i32.load offset=8
          (i32.add (local.get $rows) (i32.shl (local.get $q) (i32.const 2)))) (local.get $rowBytes))))
        (local.set $b3 (i32.add (local.get $w) (i32.mul (i32.load offset=12
          (i32.add (local.get $rows) (i32.shl (local.get $q) (i32.const 2)))) (local.get $rowBytes))))

        ;; 8 columns per step
        (local.set $j (i32.const 0))
        (block $vecDone
          (loop $vec
            (br_if $vecDone (i32.ge_s (local.get $j) (local.get $vecEnd)))
            (local.set $o (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $lo (v128.load offset=0 align=4 (local.get $o)))
            (local.set $hi (v128.load offset=16 align=4 (local.get $o)))

            (local.set $v (v128.load align=2 (i32.add (local.get $b0) (i32.shl (local.get $j) (i32.const 1)))))
            (local.set $lo (i32x4.add (local.get $lo) (i32x4.extend_low_i16x8_s (local.get $v))))
            (local.set $hi (i32x4.add (local.get $hi) (i32x4.extend_high_i16x8_s (local.get $v))))
            (local.set $v (v128.load align=2 (i32.add (local.get $b1) (i32.shl (local.get $j) (i32.const 1)))))
            (local.set $lo (i32x4.add (local.get $lo) (i32x4.extend_low_i16x8_s (local.get $v))))
            (local.set $hi (i32x4.add (local.get $hi) (i32x4.extend_high_i16x8_s (local.get $v))))
            (local.set $v (v128.load align=2 (i32.add (local.get $b2) (i32.shl (local.get $j) (i32.const 1)))))
            (local.set $lo (i32x4.add (local.get $lo) (i32x4.extend_low_i16x8_s (local.get $v))))
            (local.set $hi (i32x4.add (local.get $hi) (i32x4.extend_high_i16x8_s (local.get $v))))
            (local.set $v (v128.load align=2 (i32.add (local.get $b3) (i32.shl (local.get $j) (i32.const 1)))))
            (local.set $lo (i32x4.add (local.get $lo) (i32x4.extend_low_i16x8_s (local.get $v))))
            (local.set $hi (i32x4.add (local.get $hi) (i32x4.extend_high_i16x8_s (local.get $v))))

            (v128.store offset=0 align=4 (local.get $o) (local.get $lo))
            (v128.store offset=16 align=4 (local.get $o) (local.get $hi))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (br $vec)))

        ;; scalar tail: columns vecEnd .. rowLen
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_s (local.get $j) (local.get $rowLen)))
            (local.set $o (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))))
            (i32.store align=4 (local.get $o)
              (i32.add (i32.load align=4 (local.get $o))
                (i32.add
                  (i32.add
                    (i32.load16_s align=2 (i32.add (local.get $b0) (i32.shl (local.get $j) (i32.const 1))))
                    (i32.load16_s align=2 (i32.add (local.get $b1) (i32.shl (local.get $j) (i32.const 1)))))
                  (i32.add
                    (i32.load16_s align=2 (i32.add (local.get $b2) (i32.shl (local.get $j) (i32.const 1))))
                    (i32.load16_s align=2 (i32.add (local.get $b3) (i32.shl (local.get $j) (i32.const 1))))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $tail)))

        (local.set $q (i32.add (local.get $q) (i32.const 4)))
        (br $quads)))

    ;; ---- the remaining count % 4 rows, one at a time ----
    (block $singlesDone
      (loop $singles
        (br_if $singlesDone (i32.ge_s (local.get $q) (local.get $count)))
        (local.set $b0 (i32.add (local.get $w) (i32.mul (i32.load
          (i32.add (local.get $rows) (i32.shl (local.get $q) (i32.const 2)))) (local.get $rowBytes))))

        (local.set $j (i32.const 0))
        (block $vec1Done
          (loop $vec1
            (br_if $vec1Done (i32.ge_s (local.get $j) (local.get $vecEnd)))
            (local.set $o (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $v (v128.load align=2 (i32.add (local.get $b0) (i32.shl (local.get $j) (i32.const 1)))))
            (v128.store offset=0 align=4 (local.get $o)
              (i32x4.add (v128.load offset=0 align=4 (local.get $o)) (i32x4.extend_low_i16x8_s (local.get $v))))
            (v128.store offset=16 align=4 (local.get $o)
              (i32x4.add (v128.load offset=16 align=4 (local.get $o)) (i32x4.extend_high_i16x8_s (local.get $v))))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (br $vec1)))

        (block $tail1Done
          (loop $tail1
            (br_if $tail1Done (i32.ge_s (local.get $j) (local.get $rowLen)))
            (local.set $o (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))))
            (i32.store align=4 (local.get $o)
              (i32.add (i32.load align=4 (local.get $o))
                (i32.load16_s align=2 (i32.add (local.get $b0) (i32.shl (local.get $j) (i32.const 1))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $tail1)))

        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $singles)))
  )

  ;; visit_range: the update of a clean range of memoryless compartments (one prototype), the
  ;; contract of RangeUpdate in src/chip/row-sum.ts. For cx from start while
  ;; cx < end:
  ;;   q = acc[cx] + off + sums[cx - sumsBase] * sumScale        (f64, exact integers)
  ;;   if q is outside [qLo, qHi], stop and return cx, leaving cx untouched (the caller
  ;;   applies the counted wrap and saturation rules to it in JavaScript);
  ;;   acc[cx] = 0; stamp[cx] = t; u[cx] = q; vv = q + bias;
  ;;   refractory (ref[cx] > 0): v = 0, ref - 1, held += (q != 0);
  ;;   else vv > vth: a spike: v = 0, ref = rd, cx appended to spiked;
  ;;   else v = vv;
  ;;   cx appended to refList when its new ref > 0.
  ;; With integral != 0 (the caller guarantees integer inputs) four compartments go at once
  ;; (f64x2 inputs, i32x4 state) when four remain and all four inputs are inside the interval
  ;; (with a shorter path when none of the four is refractory); the tail, any group with an
  ;; input outside, and every compartment when inputs may be fractions go one at a time.
  ;; state holds the counts (nSpiked, nRef, held) as i32 on entry and on return. The appends
  ;; store unconditionally at the current count and advance it by 0 or 1 (no branch), so
  ;; spiked and refList need one spare element. Returns end when every compartment was done.
  (func (export "visit_range")
    (param $acc i32) (param $u i32) (param $v i32) (param $ref i32) (param $stamp i32)
    (param $sums i32) (param $sumsBase i32)
    (param $start i32) (param $end i32) (param $t i32)
    (param $off f64) (param $sumScale f64) (param $bias i32) (param $vth i32) (param $qLo f64) (param $qHi f64)
    (param $rd i32) (param $spiked i32) (param $refl i32) (param $state i32) (param $integral i32)
    (result i32)
    (local $cx i32) (local $nS i32) (local $nR i32) (local $held i32)
    (local $q f64) (local $vv f64) (local $qi i32) (local $r i32) (local $isRef i32) (local $sp i32) (local $nr i32)
    (local $a i32) (local $c4 i32) (local $m i32) (local $withSums i32)
    ;; four lanes at a time: the splatted parameters, and the vectors of one group of four
    (local $offV v128) (local $scaleV v128) (local $qLoV v128) (local $qHiV v128)
    (local $biasV v128) (local $vthV v128) (local $tV v128) (local $rdV v128) (local $oneV v128) (local $zeroV v128)
    (local $heldV v128) (local $s v128) (local $qA v128) (local $qB v128) (local $qiV v128) (local $vvV v128)
    (local $rV v128) (local $isRefV v128) (local $spV v128) (local $nrV v128) (local $magicV v128)

    (local.set $nS (i32.load offset=0 (local.get $state)))
    (local.set $nR (i32.load offset=4 (local.get $state)))
    (local.set $held (i32.load offset=8 (local.get $state)))
    (local.set $offV (f64x2.splat (local.get $off)))
    (local.set $scaleV (f64x2.splat (local.get $sumScale)))
    (local.set $qLoV (f64x2.splat (local.get $qLo)))
    (local.set $qHiV (f64x2.splat (local.get $qHi)))
    ;; bias and vth are integers (i32 parameters, below 2^24 in magnitude on the chip); inside
    ;; the safe interval vv = q + bias is below 2^24 too, so the lanes compute it in i32
    (local.set $biasV (i32x4.splat (local.get $bias)))
    (local.set $vthV (i32x4.splat (local.get $vth)))
    (local.set $tV (i32x4.splat (local.get $t)))
    (local.set $rdV (i32x4.splat (local.get $rd)))
    (local.set $oneV (i32x4.splat (i32.const 1)))
    (local.set $magicV (f64x2.splat (f64.const 6755399441055744)))
    (local.set $zeroV (v128.const i64x2 0 0))
    (local.set $heldV (v128.const i64x2 0 0))
    (local.set $withSums (f64.ne (local.get $sumScale) (f64.const 0)))
    (local.set $cx (local.get $start))
    (block $done
      (loop $next
        ;; ---- four compartments at once, when four remain and all four inputs are safe
        (block $scalar
          ;; (only integer inputs take the lanes: with a fraction, v = trunc(q + bias) is not
          ;; trunc(q) + bias, so fractions go one at a time in f64)
          (br_if $scalar (i32.eqz (local.get $integral)))
          (br_if $scalar (i32.gt_s (i32.add (local.get $cx) (i32.const 4)) (local.get $end)))
          (local.set $a (i32.add (local.get $acc) (i32.shl (local.get $cx) (i32.const 3))))
          (local.set $qA (f64x2.add (v128.load align=8 (local.get $a)) (local.get $offV)))
          (local.set $qB (f64x2.add (v128.load offset=16 align=8 (local.get $a)) (local.get $offV)))
          ;; (no row sums, sumScale 0: nothing to add; the branch goes the same way every time)
          (if (local.get $withSums) (then
            (local.set $s (v128.load align=4 (i32.add (local.get $sums)
              (i32.shl (i32.sub (local.get $cx) (local.get $sumsBase)) (i32.const 2)))))
            (local.set $qA (f64x2.add (local.get $qA)
              (f64x2.mul (f64x2.convert_low_i32x4_s (local.get $s)) (local.get $scaleV))))
            (local.set $qB (f64x2.add (local.get $qB)
              (f64x2.mul (f64x2.convert_low_i32x4_s
                (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $s) (local.get $s)))
                (local.get $scaleV))))))
          ;; any lane outside [qLo, qHi]: compare the lanes' smallest with qLo and largest with qHi
          (br_if $scalar (v128.any_true (v128.or
            (f64x2.lt (f64x2.pmin (local.get $qA) (local.get $qB)) (local.get $qLoV))
            (f64x2.gt (f64x2.pmax (local.get $qA) (local.get $qB)) (local.get $qHiV)))))
          (v128.store align=8 (local.get $a) (local.get $zeroV))
          (v128.store offset=16 align=8 (local.get $a) (local.get $zeroV))
          ;; q as i32 lanes: q is an integer (integral != 0, checked above), so q + 1.5 * 2^52 is
          ;; exact for |q| < 2^51 and holds q mod 2^32 in its low 32 bits: q itself, inside the
          ;; interval
          (local.set $qiV (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27
            (f64x2.add (local.get $qA) (local.get $magicV)) (f64x2.add (local.get $qB) (local.get $magicV))))
          (local.set $c4 (i32.shl (local.get $cx) (i32.const 2)))
          (v128.store align=4 (i32.add (local.get $stamp) (local.get $c4)) (local.get $tV))
          (v128.store align=4 (i32.add (local.get $u) (local.get $c4)) (local.get $qiV))
          (local.set $vvV (i32x4.add (local.get $qiV) (local.get $biasV)))
          ;; no lane refractory (four ref bytes of 0), the common case: a lane spikes when
          ;; vv > vth (v = 0, ref = rd, listed), else v = vv
          (if (i32.eqz (i32.load align=1 (i32.add (local.get $ref) (local.get $cx)))) (then
            (local.set $spV (i32x4.gt_s (local.get $vvV) (local.get $vthV)))
            (v128.store align=4 (i32.add (local.get $v) (local.get $c4)) (v128.andnot (local.get $vvV) (local.get $spV)))
            (local.set $m (i32x4.bitmask (local.get $spV)))
            (if (local.get $m) (then
              (local.set $nrV (v128.and (local.get $spV) (local.get $rdV)))
              (v128.store32_lane align=1 0 (i32.add (local.get $ref) (local.get $cx))
                (i8x16.narrow_i16x8_u (i16x8.narrow_i32x4_u (local.get $nrV) (local.get $nrV))
                  (i16x8.narrow_i32x4_u (local.get $nrV) (local.get $nrV))))
              (i32.store (i32.add (local.get $spiked) (i32.shl (local.get $nS) (i32.const 2))) (local.get $cx))
              (local.set $nS (i32.add (local.get $nS) (i32.and (local.get $m) (i32.const 1))))
              (i32.store (i32.add (local.get $spiked) (i32.shl (local.get $nS) (i32.const 2))) (i32.add (local.get $cx) (i32.const 1)))
              (local.set $nS (i32.add (local.get $nS) (i32.and (i32.shr_u (local.get $m) (i32.const 1)) (i32.const 1))))
              (i32.store (i32.add (local.get $spiked) (i32.shl (local.get $nS) (i32.const 2))) (i32.add (local.get $cx) (i32.const 2)))
              (local.set $nS (i32.add (local.get $nS) (i32.and (i32.shr_u (local.get $m) (i32.const 2)) (i32.const 1))))
              (i32.store (i32.add (local.get $spiked) (i32.shl (local.get $nS) (i32.const 2))) (i32.add (local.get $cx) (i32.const 3)))
              (local.set $nS (i32.add (local.get $nS) (i32.shr_u (local.get $m) (i32.const 3))))
              (if (i32.gt_s (local.get $rd) (i32.const 0)) (then
                (i32.store (i32.add (local.get $refl) (i32.shl (local.get $nR) (i32.const 2))) (local.get $cx))
                (local.set $nR (i32.add (local.get $nR) (i32.and (local.get $m) (i32.const 1))))
                (i32.store (i32.add (local.get $refl) (i32.shl (local.get $nR) (i32.const 2))) (i32.add (local.get $cx) (i32.const 1)))
                (local.set $nR (i32.add (local.get $nR) (i32.and (i32.shr_u (local.get $m) (i32.const 1)) (i32.const 1))))
                (i32.store (i32.add (local.get $refl) (i32.shl (local.get $nR) (i32.const 2))) (i32.add (local.get $cx) (i32.const 2)))
                (local.set $nR (i32.add (local.get $nR) (i32.and (i32.shr_u (local.get $m) (i32.const 2)) (i32.const 1))))
                (i32.store (i32.add (local.get $refl) (i32.shl (local.get $nR) (i32.const 2))) (i32.add (local.get $cx) (i32.const 3)))
                (local.set $nR (i32.add (local.get $nR) (i32.shr_u (local.get $m) (i32.const 3))))
              ))))
            (local.set $cx (i32.add (local.get $cx) (i32.const 4)))
            (br $next)))
          ;; some lane refractory: every rule lane by lane
          (local.set $rV (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
            (v128.load32_zero align=1 (i32.add (local.get $ref) (local.get $cx))))))
          (local.set $isRefV (i32x4.ne (local.get $rV) (local.get $zeroV)))
          ;; a spike where not refractory and vv > vth
          (local.set $spV (v128.andnot (i32x4.gt_s (local.get $vvV) (local.get $vthV)) (local.get $isRefV)))
          ;; v: 0 when refractory or spiking, else vv
          (v128.store align=4 (i32.add (local.get $v) (local.get $c4))
            (v128.andnot (local.get $vvV) (v128.or (local.get $isRefV) (local.get $spV))))
          ;; ref: r - 1 when refractory, rd on a spike, else 0 (stored back as bytes)
          (local.set $nrV (v128.bitselect (i32x4.sub (local.get $rV) (local.get $oneV))
            (v128.and (local.get $spV) (local.get $rdV)) (local.get $isRefV)))
          (v128.store32_lane align=1 0 (i32.add (local.get $ref) (local.get $cx))
            (i8x16.narrow_i16x8_u (i16x8.narrow_i32x4_u (local.get $nrV) (local.get $nrV))
              (i16x8.narrow_i32x4_u (local.get $nrV) (local.get $nrV))))
          ;; held: refractory lanes with q != 0 (masks are -1, so subtracting counts them)
          (local.set $heldV (i32x4.sub (local.get $heldV)
            ;; (the lanes hold integer q only, so q != 0 is qi != 0)
            (v128.and (local.get $isRefV) (i32x4.ne (local.get $qiV) (local.get $zeroV)))))
          ;; appends, lane by lane, unconditional stores (as in the scalar loop)
          (local.set $m (i32x4.bitmask (local.get $spV)))
          (if (local.get $m) (then
            (i32.store (i32.add (local.get $spiked) (i32.shl (local.get $nS) (i32.const 2))) (local.get $cx))
            (local.set $nS (i32.add (local.get $nS) (i32.and (local.get $m) (i32.const 1))))
            (i32.store (i32.add (local.get $spiked) (i32.shl (local.get $nS) (i32.const 2))) (i32.add (local.get $cx) (i32.const 1)))
            (local.set $nS (i32.add (local.get $nS) (i32.and (i32.shr_u (local.get $m) (i32.const 1)) (i32.const 1))))
            (i32.store (i32.add (local.get $spiked) (i32.shl (local.get $nS) (i32.const 2))) (i32.add (local.get $cx) (i32.const 2)))
            (local.set $nS (i32.add (local.get $nS) (i32.and (i32.shr_u (local.get $m) (i32.const 2)) (i32.const 1))))
            (i32.store (i32.add (local.get $spiked) (i32.shl (local.get $nS) (i32.const 2))) (i32.add (local.get $cx) (i32.const 3)))
            (local.set $nS (i32.add (local.get $nS) (i32.shr_u (local.get $m) (i32.const 3))))))
          (local.set $m (i32x4.bitmask (i32x4.gt_s (local.get $nrV) (local.get $zeroV))))
          (if (local.get $m) (then
            (i32.store (i32.add (local.get $refl) (i32.shl (local.get $nR) (i32.const 2))) (local.get $cx))
            (local.set $nR (i32.add (local.get $nR) (i32.and (local.get $m) (i32.const 1))))
            (i32.store (i32.add (local.get $refl) (i32.shl (local.get $nR) (i32.const 2))) (i32.add (local.get $cx) (i32.const 1)))
            (local.set $nR (i32.add (local.get $nR) (i32.and (i32.shr_u (local.get $m) (i32.const 1)) (i32.const 1))))
            (i32.store (i32.add (local.get $refl) (i32.shl (local.get $nR) (i32.const 2))) (i32.add (local.get $cx) (i32.const 2)))
            (local.set $nR (i32.add (local.get $nR) (i32.and (i32.shr_u (local.get $m) (i32.const 2)) (i32.const 1))))
            (i32.store (i32.add (local.get $refl) (i32.shl (local.get $nR) (i32.const 2))) (i32.add (local.get $cx) (i32.const 3)))
            (local.set $nR (i32.add (local.get $nR) (i32.shr_u (local.get $m) (i32.const 3))))))
          (local.set $cx (i32.add (local.get $cx) (i32.const 4)))
          (br $next))

        ;; ---- one compartment (the tail, or a group of four with an input outside the interval)
        (br_if $done (i32.ge_s (local.get $cx) (local.get $end)))
        (local.set $a (i32.add (local.get $acc) (i32.shl (local.get $cx) (i32.const 3))))
        (local.set $c4 (i32.shl (local.get $cx) (i32.const 2)))
        (local.set $q
          (f64.add
            (f64.add (f64.load (local.get $a)) (local.get $off))
            (f64.mul
              (f64.convert_i32_s (i32.load (i32.add (local.get $sums)
                (i32.shl (i32.sub (local.get $cx) (local.get $sumsBase)) (i32.const 2)))))
              (local.get $sumScale))))
        (br_if $done (i32.or (f64.lt (local.get $q) (local.get $qLo)) (f64.gt (local.get $q) (local.get $qHi))))
        (f64.store (local.get $a) (f64.const 0))
        (i32.store (i32.add (local.get $stamp) (local.get $c4)) (local.get $t))
        (local.set $qi (i32.trunc_sat_f64_s (local.get $q)))
        (i32.store (i32.add (local.get $u) (local.get $c4)) (local.get $qi))
        (local.set $vv (f64.add (local.get $q) (f64.convert_i32_s (local.get $bias))))
        (local.set $r (i32.load8_u (i32.add (local.get $ref) (local.get $cx))))
        (local.set $isRef (i32.ne (local.get $r) (i32.const 0)))
        (local.set $sp (i32.and (i32.eqz (local.get $isRef)) (f64.gt (local.get $vv) (f64.convert_i32_s (local.get $vth)))))
        ;; v: 0 when refractory or spiking, else vv
        (i32.store (i32.add (local.get $v) (local.get $c4))
          (select (i32.const 0) (i32.trunc_sat_f64_s (local.get $vv)) (i32.or (local.get $isRef) (local.get $sp))))
        ;; ref: r - 1 when refractory, rd on a spike, else 0
        (local.set $nr
          (select (i32.sub (local.get $r) (i32.const 1))
            (select (local.get $rd) (i32.const 0) (local.get $sp))
            (local.get $isRef)))
        (i32.store8 (i32.add (local.get $ref) (local.get $cx)) (local.get $nr))
        (i32.store (i32.add (local.get $spiked) (i32.shl (local.get $nS) (i32.const 2))) (local.get $cx))
        (local.set $nS (i32.add (local.get $nS) (local.get $sp)))
        (i32.store (i32.add (local.get $refl) (i32.shl (local.get $nR) (i32.const 2))) (local.get $cx))
        (local.set $nR (i32.add (local.get $nR) (i32.gt_s (local.get $nr) (i32.const 0))))
        (local.set $held (i32.add (local.get $held)
          (i32.and (local.get $isRef) (f64.ne (local.get $q) (f64.const 0)))))
        (local.set $cx (i32.add (local.get $cx) (i32.const 1)))
        (br $next)))
    (local.set $held (i32.add (local.get $held) (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $heldV)) (i32x4.extract_lane 1 (local.get $heldV)))
      (i32.add (i32x4.extract_lane 2 (local.get $heldV)) (i32x4.extract_lane 3 (local.get $heldV))))))
    (i32.store offset=0 (local.get $state) (local.get $nS))
    (i32.store offset=4 (local.get $state) (local.get $nR))
    (i32.store offset=8 (local.get $state) (local.get $held))
    (local.get $cx))

  ;; visit_list: the update of the compartments list[k], list[k + 1], ... (k < count) that are
  ;; not yet updated this step (stamp != t), the contract of ListUpdate in
  ;; src/chip/row-sum.ts. Each compartment's prototype p = proto[cx] (u16) has a row of the
  ;; table ptab (six f64: qLo, qHi, bias, vth, rd, memoryless). For a memoryless prototype and
  ;; q = acc[cx] inside [qLo, qHi] it does what visit_range does for one compartment, and
  ;; counts the visit (state[3]) and, when timing != 0, coreActive[cxCore[cx]] += 1 (f64).
  ;; It stops and returns k, touching nothing of list[k], at a compartment it cannot update
  ;; (not memoryless, or q outside the interval); returns count when done.
  (func (export "visit_list")
    (param $list i32) (param $k i32) (param $count i32)
    (param $acc i32) (param $u i32) (param $v i32) (param $ref i32) (param $stamp i32)
    (param $proto i32) (param $ptab i32) (param $cxCore i32) (param $coreActive i32) (param $timing i32)
    (param $t i32) (param $spiked i32) (param $refl i32) (param $state i32)
    (result i32)
    (local $cx i32) (local $nS i32) (local $nR i32) (local $held i32) (local $nV i32)
    (local $pt i32) (local $a i32) (local $c4 i32) (local $ca i32)
    (local $q f64) (local $vv f64) (local $qi i32) (local $r i32) (local $nr i32)
    (local.set $nS (i32.load offset=0 (local.get $state)))
    (local.set $nR (i32.load offset=4 (local.get $state)))
    (local.set $held (i32.load offset=8 (local.get $state)))
    (local.set $nV (i32.load offset=12 (local.get $state)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $k) (local.get $count)))
        (local.set $cx (i32.load (i32.add (local.get $list) (i32.shl (local.get $k) (i32.const 2)))))
        (local.set $c4 (i32.shl (local.get $cx) (i32.const 2)))
        (if (i32.eq (i32.load (i32.add (local.get $stamp) (local.get $c4))) (local.get $t)) (then
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $next)))
        (local.set $pt (i32.add (local.get $ptab)
          (i32.mul (i32.load16_u (i32.add (local.get $proto) (i32.shl (local.get $cx) (i32.const 1)))) (i32.const 48))))
        (br_if $done (f64.eq (f64.load offset=40 (local.get $pt)) (f64.const 0)))
        (local.set $a (i32.add (local.get $acc) (i32.shl (local.get $cx) (i32.const 3))))
        (local.set $q (f64.load (local.get $a)))
        (br_if $done (i32.or (f64.lt (local.get $q) (f64.load offset=0 (local.get $pt)))
                             (f64.gt (local.get $q) (f64.load offset=8 (local.get $pt)))))
        (f64.store (local.get $a) (f64.const 0))
        (i32.store (i32.add (local.get $stamp) (local.get $c4)) (local.get $t))
        (local.set $qi (i32.trunc_sat_f64_s (local.get $q)))
        (i32.store (i32.add (local.get $u) (local.get $c4)) (local.get $qi))
        (local.set $r (i32.load8_u (i32.add (local.get $ref) (local.get $cx))))
        (if (local.get $r)
          (then
            ;; refractory: v = 0, ref - 1, held when q != 0, listed again while ref stays > 0
            (i32.store (i32.add (local.get $v) (local.get $c4)) (i32.const 0))
            (i32.store8 (i32.add (local.get $ref) (local.get $cx)) (i32.sub (local.get $r) (i32.const 1)))
            (i32.store (i32.add (local.get $refl) (i32.shl (local.get $nR) (i32.const 2))) (local.get $cx))
            (local.set $nR (i32.add (local.get $nR) (i32.gt_u (local.get $r) (i32.const 1))))
            (local.set $held (i32.add (local.get $held) (f64.ne (local.get $q) (f64.const 0)))))
          (else
            (local.set $vv (f64.add (local.get $q) (f64.load offset=16 (local.get $pt))))
            (if (f64.gt (local.get $vv) (f64.load offset=24 (local.get $pt)))
              (then
                ;; a spike: v = 0, ref = rd, listed as spiked (and as refractory when rd > 0)
                (local.set $nr (i32.trunc_sat_f64_s (f64.load offset=32 (local.get $pt))))
                (i32.store (i32.add (local.get $v) (local.get $c4)) (i32.const 0))
                (i32.store8 (i32.add (local.get $ref) (local.get $cx)) (local.get $nr))
                (i32.store (i32.add (local.get $spiked) (i32.shl (local.get $nS) (i32.const 2))) (local.get $cx))
                (local.set $nS (i32.add (local.get $nS) (i32.const 1)))
                (i32.store (i32.add (local.get $refl) (i32.shl (local.get $nR) (i32.const 2))) (local.get $cx))
                (local.set $nR (i32.add (local.get $nR) (i32.gt_s (local.get $nr) (i32.const 0)))))
              (else
                ;; v = vv; ref stays 0
                (i32.store (i32.add (local.get $v) (local.get $c4)) (i32.trunc_sat_f64_s (local.get $vv)))))))
        (local.set $nV (i32.add (local.get $nV) (i32.const 1)))
        (if (local.get $timing) (then
          (local.set $ca (i32.add (local.get $coreActive)
            (i32.shl (i32.load16_u (i32.add (local.get $cxCore) (i32.shl (local.get $cx) (i32.const 1)))) (i32.const 3))))
          (f64.store (local.get $ca) (f64.add (f64.load (local.get $ca)) (f64.const 1)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next)))
    (i32.store offset=0 (local.get $state) (local.get $nS))
    (i32.store offset=4 (local.get $state) (local.get $nR))
    (i32.store offset=8 (local.get $state) (local.get $held))
    (i32.store offset=12 (local.get $state) (local.get $nV))
    (local.get $k))
)
