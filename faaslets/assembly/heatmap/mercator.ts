// The web-mercator ordinate of two latitudes at once: ψ = ln(tan(π/4 + φ/2)), as f64x2.
//
// θ = π/4 + φ/2 is rounded exactly as the scalar formula rounds it (so both see the same angle); then
// for θ < π/4, ψ = ln(tan θ), and for θ ≥ π/4, ψ = −ln(tan δ) with δ = π/2 − θ (exact, plus π/2's tail):
// one tangent of a first-octant angle (no argument reduction) and one logarithm, for both lanes at once.
// Both are musl's (fdlibm's) kernels, the ones NativeMath.tan and NativeMath.log run: __tan with its
// x ≥ 0.6744 branch, and the polynomial log. Agrees with ln(tan(π/4 + φ/2)) evaluated in doubles to an
// ulp or two of ψ (NativeMath and V8's Math differ by as much). At −90° θ rounds to 0 and ψ is NaN where
// the scalar formula gives −∞; beyond ±90°, NaN, as ln(tan(…)): such points lie on no tile either way.

// constants as lane pairs in the module's (read-only) static data, one load each (TurboFan would build
// a splat from an immediate at every use)
// @ts-ignore: decorator
@inline const BIG = 0;      // 0.6744: fdlibm's threshold for the π/4 − x form
// @ts-ignore: decorator
@inline const T0 = 1;       // T0..T12 at 1..13: __tan's polynomial
// @ts-ignore: decorator
@inline const ONE = 14;
// @ts-ignore: decorator
@inline const TWO = 15;
// @ts-ignore: decorator
@inline const HALF = 16;
// @ts-ignore: decorator
@inline const LG1 = 17;     // LG1..LG7 at 17..23: log's polynomial
// @ts-ignore: decorator
@inline const LN2_LO = 24;
// @ts-ignore: decorator
@inline const LN2_HI = 25;
// @ts-ignore: decorator
@inline const HALF_RAD = 26; // π/360: degrees to half-angle radians
// @ts-ignore: decorator
@inline const PIO2 = 37;
// @ts-ignore: decorator
@inline const PIO2LO = 38;
// @ts-ignore: decorator
@inline const PIO4 = 27;
// @ts-ignore: decorator
@inline const PIO4LO = 28;
// @ts-ignore: decorator
@inline const ZERO = 29;
// @ts-ignore: decorator
@inline const NAN = 30;
// @ts-ignore: decorator
@inline const HX_BIAS = 31; // integer lanes from here on
// @ts-ignore: decorator
@inline const EXP_BIAS = 32;
// @ts-ignore: decorator
@inline const MANT_HI = 33;
// @ts-ignore: decorator
@inline const HX_BASE = 34;
// @ts-ignore: decorator
@inline const LOW32 = 35;
// @ts-ignore: decorator
@inline const SIGN = 36;

const CONSTANTS = memory.data<u64>([
  0x3fe594af4f0d844d, 0x3fe594af4f0d844d, // 0.6744
  0x3fd5555555555563, 0x3fd5555555555563, // T0
  0x3fc111111110fe7a, 0x3fc111111110fe7a,
  0x3faba1ba1bb341fe, 0x3faba1ba1bb341fe,
  0x3f9664f48406d637, 0x3f9664f48406d637,
  0x3f8226e3e96e8493, 0x3f8226e3e96e8493,
  0x3f6d6d22c9560328, 0x3f6d6d22c9560328,
  0x3f57dbc8fee08315, 0x3f57dbc8fee08315,
  0x3f4344d8f2f26501, 0x3f4344d8f2f26501,
  0x3f3026f71a8d1068, 0x3f3026f71a8d1068,
  0x3f147e88a03792a6, 0x3f147e88a03792a6,
  0x3f12b80f32f0a7e9, 0x3f12b80f32f0a7e9,
  0xbef375cbdb605373, 0xbef375cbdb605373,
  0x3efb2a7074bf7ad4, 0x3efb2a7074bf7ad4, // T12
  0x3ff0000000000000, 0x3ff0000000000000, // 1
  0x4000000000000000, 0x4000000000000000, // 2
  0x3fe0000000000000, 0x3fe0000000000000, // 0.5
  0x3fe5555555555593, 0x3fe5555555555593, // LG1
  0x3fd999999997fa04, 0x3fd999999997fa04,
  0x3fd2492494229359, 0x3fd2492494229359,
  0x3fcc71c51d8e78af, 0x3fcc71c51d8e78af,
  0x3fc7466496cb03de, 0x3fc7466496cb03de,
  0x3fc39a09d078c69f, 0x3fc39a09d078c69f,
  0x3fc2f112df3e5244, 0x3fc2f112df3e5244, // LG7
  0x3dea39ef35793c76, 0x3dea39ef35793c76, // ln2_lo
  0x3fe62e42fee00000, 0x3fe62e42fee00000, // ln2_hi
  0x3f81df46a2529d39, 0x3f81df46a2529d39, // π/360
  0x3fe921fb54442d18, 0x3fe921fb54442d18, // pio4
  0x3c81a62633145c07, 0x3c81a62633145c07, // pio4lo
  0, 0,
  0x7ff8000000000000, 0x7ff8000000000000, // NaN
  0x3ff00000 - 0x3fe6a09e, 0x3ff00000 - 0x3fe6a09e,
  0x3ff, 0x3ff,
  0x000fffff, 0x000fffff,
  0x3fe6a09e, 0x3fe6a09e,
  0xffffffff, 0xffffffff,
  0x8000000000000000, 0x8000000000000000,
  0x3ff921fb54442d18, 0x3ff921fb54442d18, // pio2
  0x3c91a62633145c07, 0x3c91a62633145c07, // pio2lo
], 16);

// @ts-ignore: decorator
@inline function k(i: i32): v128 { return v128.load(CONSTANTS + (<usize>i << 4)); }

// @ts-ignore: decorator
@inline function mul(a: v128, b: v128): v128 { return f64x2.mul(a, b); }

// @ts-ignore: decorator
@inline function add(a: v128, b: v128): v128 { return f64x2.add(a, b); }

// @ts-ignore: decorator
@inline function sub(a: v128, b: v128): v128 { return f64x2.sub(a, b); }

/** tan(x) for x in [0, π/4] (musl __tan, odd = 0). */
// @ts-ignore: decorator
@inline function tan(x: v128): v128 {
  const big = f64x2.ge(x, k(BIG));
  const t = v128.bitselect(add(sub(k(PIO4), x), k(PIO4LO)), x, big);
  const z = mul(t, t);
  const w = mul(z, z);
  let r = add(k(T0 + 1), mul(w, add(k(T0 + 3), mul(w, add(k(T0 + 5), mul(w, add(k(T0 + 7), mul(w, add(k(T0 + 9), mul(w, k(T0 + 11)))))))))));
  const v = mul(z, add(k(T0 + 2), mul(w, add(k(T0 + 4), mul(w, add(k(T0 + 6), mul(w, add(k(T0 + 8), mul(w, add(k(T0 + 10), mul(w, k(T0 + 12))))))))))));
  const s = mul(z, t);
  r = add(mul(z, mul(s, add(r, v))), mul(s, k(T0)));
  const y = add(t, r);
  if (!v128.any_true(big)) return y;
  // big: tan(π/4 − t) = 1 − 2·(t + (r − y²/(y + 1)))
  const fromB = sub(k(ONE), mul(k(TWO), add(t, sub(r, f64x2.div(mul(y, y), add(y, k(ONE)))))));
  return v128.bitselect(fromB, y, big);
}

/** ln(x) for finite x > 0 (musl / fdlibm log); other lanes: anything. */
// @ts-ignore: decorator
@inline function log(x: v128): v128 {
  // x = 2^k·(1 + f), 1 + f in [√2/2, √2)
  let hx = i64x2.add(i64x2.shr_u(x, 32), k(HX_BIAS));
  const e = i64x2.sub(i64x2.shr_u(hx, 20), k(EXP_BIAS));
  hx = i64x2.add(v128.and(hx, k(MANT_HI)), k(HX_BASE));
  const f = sub(v128.or(i64x2.shl(hx, 32), v128.and(x, k(LOW32))), k(ONE));
  const hfsq = mul(k(HALF), mul(f, f));
  const s = f64x2.div(f, add(k(TWO), f));
  const z = mul(s, s);
  const w = mul(z, z);
  const t1 = mul(w, add(k(LG1 + 1), mul(w, add(k(LG1 + 3), mul(w, k(LG1 + 5))))));
  const t2 = mul(z, add(k(LG1), mul(w, add(k(LG1 + 2), mul(w, add(k(LG1 + 4), mul(w, k(LG1 + 6))))))));
  const dk = f64x2.convert_low_i32x4_s(i32x4.shuffle(e, e, 0, 2, 0, 2));
  return add(add(sub(add(mul(s, add(hfsq, add(t2, t1))), mul(dk, k(LN2_LO))), hfsq), f), mul(dk, k(LN2_HI)));
}

/** ψ = ln(tan(π/4 + φ/2)) of two latitudes φ in degrees (NaN beyond ±90°). */
// @ts-ignore: decorator
@inline export function mercatorPsi(lat: v128): v128 {
  const theta = add(k(PIO4), mul(lat, k(HALF_RAD)));
  const upper = f64x2.ge(theta, k(PIO4));
  const x = v128.bitselect(add(sub(k(PIO2), theta), k(PIO2LO)), theta, upper);
  const t = tan(x);
  const l = log(t);
  // NaN where tan ≤ 0 (|φ| > 90°)
  return v128.bitselect(v128.bitselect(f64x2.neg(l), l, upper), k(NAN), f64x2.gt(t, k(ZERO)));
}
