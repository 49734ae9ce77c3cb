import { enter, fail, inputCount, inputLen, inputPtr, output, param } from "../../faaslets/assembly/lib/ctx";
import { check, count, create, crs, data } from "../../faaslets/assembly/lib/region";
import { ABI_VERSION, KIND_POINTS, POINT_STRIDE, POINT_WEIGHT, STATUS_BAD_INPUT_KIND } from "../../faaslets/abi/layout";

export function gr_abi_version(): i32 { return ABI_VERSION; }

export function gr_run(ctx: usize): i32 {
  enter(ctx);
  if (inputCount(ctx) != 1) return fail(ctx, STATUS_BAD_INPUT_KIND, "echo takes one input");
  const r = inputPtr(ctx, 0);
  const why = check(r, inputLen(ctx, 0), KIND_POINTS, [POINT_STRIDE]);
  if (why.length > 0) return fail(ctx, STATUS_BAD_INPUT_KIND, why);
  const n = count(r);
  const factor = param(ctx, 0);
  const out = create(KIND_POINTS, n, POINT_STRIDE, crs(r), [<u64>n * POINT_STRIDE], [n]);
  memory.copy(data(out), data(r), <usize>n * POINT_STRIDE);
  for (let i: u32 = 0; i < n; i++) {
    const p = data(out) + <usize>i * POINT_STRIDE + POINT_WEIGHT;
    store<f64>(p, load<f64>(p) * factor);
  }
  output(ctx, out, <usize>load<u32>(out + 20));
  return 0;
}
