// Transverse Mercator as proj4 2.22 computes it for `+proj=utm` and `+proj=tmerc` alike
// (projections/utm.js → etmerc.js; 'tmerc' is one of etmerc's names, the older series of tmerc.js is only
// used with +approx): Poder/Engsager's 6th-order Krüger series via Gauss-Schreiber latitudes, exact to a
// few nm across a zone. Ported term for term, including the coefficient arithmetic, so the results are
// proj4's. UTM zones (utm.js): long0 = (6·zone − 183)°, false easting 500 km, false northing 10 000 km in
// the south, k0 0.9996, lat0 0 — on WGS84 for 326xx/327xx, on GRS80 for ETRS89's 258xx.
import { D2R, adjustLon, asinhy, eccentricitySquaredAB, hypot, put } from "./common";

/** |Ce| beyond this (the complex argument grows without bound toward ±90° off the meridian) → ∞, as proj4. */
const CE_MAX: f64 = 2.623395162778;

/** UTM's scale on the central meridian, false easting and southern false northing (proj4's utm.js). */
const UTM_K0: f64 = 0.9996;
const UTM_X0: f64 = 500000.0;
const UTM_Y0_SOUTH: f64 = 10000000.0;

export class Etmerc {
  a: f64;
  k0: f64;
  long0: f64;
  lat0: f64;
  x0: f64;
  y0: f64;
  Qn: f64 = 0;
  Zb: f64 = 0;
  // series coefficients: Gauss→geodetic, geodetic→Gauss, transverse Mercator→Gauss, Gauss→transverse Mercator
  cgb: StaticArray<f64> = new StaticArray<f64>(6);
  cbg: StaticArray<f64> = new StaticArray<f64>(6);
  utg: StaticArray<f64> = new StaticArray<f64>(6);
  gtu: StaticArray<f64> = new StaticArray<f64>(6);

  /** UTM zone 1..60 on the ellipsoid (a, b); south: the southern hemisphere's false northing. */
  static utm(a: f64, b: f64, zone: i32, south: bool): Etmerc {
    return new Etmerc(a, b, UTM_K0, <f64>(6 * zone - 183) * D2R, 0.0, UTM_X0, south ? UTM_Y0_SOUTH : 0.0);
  }

  /**
   * The ellipsoid (a, b in metres), k0, the natural origin (long0, lat0 in radians: proj4 multiplies the
   * +lon_0/+lat_0 degrees by D2R, and so must the caller) and the false easting/northing in metres.
   */
  constructor(a: f64, b: f64, k0: f64, long0: f64, lat0: f64, x0: f64, y0: f64) {
    this.a = a;
    this.k0 = k0;
    this.long0 = long0;
    this.lat0 = lat0;
    this.x0 = x0;
    this.y0 = y0;
    const es = eccentricitySquaredAB(a, b);
    const f = es / (1.0 + Math.sqrt(1.0 - es));
    const n = f / (2.0 - f);
    let np = n;
    const cgb = this.cgb, cbg = this.cbg, utg = this.utg, gtu = this.gtu;

    cgb[0] = n * (2.0 + n * (-2.0 / 3.0 + n * (-2.0 + n * (116.0 / 45.0 + n * (26.0 / 45.0 + n * (-2854.0 / 675.0))))));
    cbg[0] = n * (-2.0 + n * (2.0 / 3.0 + n * (4.0 / 3.0 + n * (-82.0 / 45.0 + n * (32.0 / 45.0 + n * (4642.0 / 4725.0))))));
    np = np * n;
    cgb[1] = np * (7.0 / 3.0 + n * (-8.0 / 5.0 + n * (-227.0 / 45.0 + n * (2704.0 / 315.0 + n * (2323.0 / 945.0)))));
    cbg[1] = np * (5.0 / 3.0 + n * (-16.0 / 15.0 + n * (-13.0 / 9.0 + n * (904.0 / 315.0 + n * (-1522.0 / 945.0)))));
    np = np * n;
    cgb[2] = np * (56.0 / 15.0 + n * (-136.0 / 35.0 + n * (-1262.0 / 105.0 + n * (73814.0 / 2835.0))));
    cbg[2] = np * (-26.0 / 15.0 + n * (34.0 / 21.0 + n * (8.0 / 5.0 + n * (-12686.0 / 2835.0))));
    np = np * n;
    cgb[3] = np * (4279.0 / 630.0 + n * (-332.0 / 35.0 + n * (-399572.0 / 14175.0)));
    cbg[3] = np * (1237.0 / 630.0 + n * (-12.0 / 5.0 + n * (-24832.0 / 14175.0)));
    np = np * n;
    cgb[4] = np * (4174.0 / 315.0 + n * (-144838.0 / 6237.0));
    cbg[4] = np * (-734.0 / 315.0 + n * (109598.0 / 31185.0));
    np = np * n;
    cgb[5] = np * (601676.0 / 22275.0);
    cbg[5] = np * (444337.0 / 155925.0);

    np = n * n;
    this.Qn = this.k0 / (1.0 + n) * (1.0 + np * (1.0 / 4.0 + np * (1.0 / 64.0 + np / 256.0)));

    utg[0] = n * (-0.5 + n * (2.0 / 3.0 + n * (-37.0 / 96.0 + n * (1.0 / 360.0 + n * (81.0 / 512.0 + n * (-96199.0 / 604800.0))))));
    gtu[0] = n * (0.5 + n * (-2.0 / 3.0 + n * (5.0 / 16.0 + n * (41.0 / 180.0 + n * (-127.0 / 288.0 + n * (7891.0 / 37800.0))))));
    utg[1] = np * (-1.0 / 48.0 + n * (-1.0 / 15.0 + n * (437.0 / 1440.0 + n * (-46.0 / 105.0 + n * (1118711.0 / 3870720.0)))));
    gtu[1] = np * (13.0 / 48.0 + n * (-3.0 / 5.0 + n * (557.0 / 1440.0 + n * (281.0 / 630.0 + n * (-1983433.0 / 1935360.0)))));
    np = np * n;
    utg[2] = np * (-17.0 / 480.0 + n * (37.0 / 840.0 + n * (209.0 / 4480.0 + n * (-5569.0 / 90720.0))));
    gtu[2] = np * (61.0 / 240.0 + n * (-103.0 / 140.0 + n * (15061.0 / 26880.0 + n * (167603.0 / 181440.0))));
    np = np * n;
    utg[3] = np * (-4397.0 / 161280.0 + n * (11.0 / 504.0 + n * (830251.0 / 7257600.0)));
    gtu[3] = np * (49561.0 / 161280.0 + n * (-179.0 / 168.0 + n * (6601661.0 / 7257600.0)));
    np = np * n;
    utg[4] = np * (-4583.0 / 161280.0 + n * (108847.0 / 3991680.0));
    gtu[4] = np * (34729.0 / 80640.0 + n * (-3418889.0 / 1995840.0));
    np = np * n;
    utg[5] = np * (-20648693.0 / 638668800.0);
    gtu[5] = np * (212378941.0 / 319334400.0);

    const Z = gatg(cbg, this.lat0);
    this.Zb = -this.Qn * (Z + clens(gtu, 2.0 * Z));
  }

  /** lon/lat radians → easting/northing metres, into outX/outY. */
  forward(lam: f64, phi: f64): void {
    let Ce = adjustLon(lam - this.long0);
    let Cn = gatg(this.cbg, phi);
    const sinCn = Math.sin(Cn);
    const cosCn = Math.cos(Cn);
    const sinCe = Math.sin(Ce);
    const cosCe = Math.cos(Ce);

    Cn = Math.atan2(sinCn, cosCe * cosCn);
    Ce = Math.atan2(sinCe * cosCn, hypot(sinCn, cosCn * cosCe));
    Ce = asinhy(Math.tan(Ce));

    clensCmplx(this.gtu, 2.0 * Cn, 2.0 * Ce);
    Cn = Cn + clensRe;
    Ce = Ce + clensIm;

    if (Math.abs(Ce) <= CE_MAX) {
      put(this.a * (this.Qn * Ce) + this.x0, this.a * (this.Qn * Cn + this.Zb) + this.y0);
    } else {
      put(Infinity, Infinity);
    }
  }

  /** easting/northing metres → lon/lat radians, into outX/outY. */
  inverse(x: f64, y: f64): void {
    let Ce = (x - this.x0) * (1.0 / this.a);
    let Cn = (y - this.y0) * (1.0 / this.a);
    Cn = (Cn - this.Zb) / this.Qn;
    Ce = Ce / this.Qn;

    if (Math.abs(Ce) <= CE_MAX) {
      clensCmplx(this.utg, 2.0 * Cn, 2.0 * Ce);
      Cn = Cn + clensRe;
      Ce = Ce + clensIm;
      Ce = Math.atan(sinh(Ce));

      const sinCn = Math.sin(Cn);
      const cosCn = Math.cos(Cn);
      const sinCe = Math.sin(Ce);
      const cosCe = Math.cos(Ce);

      Cn = Math.atan2(sinCn * cosCe, hypot(sinCe, cosCe * cosCn));
      Ce = Math.atan2(sinCe, cosCe * cosCn);
      put(adjustLon(Ce + this.long0), gatg(this.cgb, Cn));
    } else {
      put(Infinity, Infinity);
    }
  }
}

// ─── Clenshaw summations (proj4's gatg, clens, clens_cmplx) ─────────────────────────────────────────

function sinh(x: f64): f64 {
  const r = Math.exp(x);
  return (r - 1.0 / r) / 2.0;
}

/** Gauss ↔ geodetic latitude: B + Σ pp[k]·sin(2(k+1)B). */
function gatg(pp: StaticArray<f64>, B: f64): f64 {
  const cos2B = 2.0 * Math.cos(2.0 * B);
  let i = pp.length - 1;
  let h1 = unchecked(pp[i]);
  let h2: f64 = 0;
  let h: f64 = 0;
  while (--i >= 0) {
    h = -h2 + cos2B * h1 + unchecked(pp[i]);
    h2 = h1;
    h1 = h;
  }
  return B + h * Math.sin(2.0 * B);
}

function clens(pp: StaticArray<f64>, argR: f64): f64 {
  const r = 2.0 * Math.cos(argR);
  let i = pp.length - 1;
  let hr1 = unchecked(pp[i]);
  let hr2: f64 = 0;
  let hr: f64 = 0;
  while (--i >= 0) {
    hr = -hr2 + r * hr1 + unchecked(pp[i]);
    hr2 = hr1;
    hr1 = hr;
  }
  return Math.sin(argR) * hr;
}

// the complex sum's two parts (see put() in common.ts for why globals)
let clensRe: f64 = 0;
let clensIm: f64 = 0;

/** Σ pp[k]·sin(2(k+1)·(argR + i·argI)), into clensRe/clensIm. */
function clensCmplx(pp: StaticArray<f64>, argR: f64, argI: f64): void {
  const sinArgR = Math.sin(argR);
  const cosArgR = Math.cos(argR);
  // proj4 calls exp twice (its sinh and cosh); one call gives the same two values
  const e = Math.exp(argI);
  const sinhArgI = (e - 1.0 / e) / 2.0;
  const coshArgI = (e + 1.0 / e) / 2.0;
  let r = 2.0 * cosArgR * coshArgI;
  let i = -2.0 * sinArgR * sinhArgI;
  let j = pp.length - 1;
  let hr = unchecked(pp[j]);
  let hi1: f64 = 0;
  let hr1: f64 = 0;
  let hi: f64 = 0;
  let hr2: f64 = 0;
  let hi2: f64 = 0;
  while (--j >= 0) {
    hr2 = hr1;
    hi2 = hi1;
    hr1 = hr;
    hi1 = hi;
    hr = -hr2 + r * hr1 - i * hi1 + unchecked(pp[j]);
    hi = -hi2 + i * hr1 + r * hi1;
  }
  r = sinArgR * coshArgI;
  i = cosArgR * sinhArgI;
  clensRe = r * hr - i * hi;
  clensIm = r * hi + i * hr;
}
