import { enter, output, param } from "../../faaslets/assembly/lib/ctx";
import { ABI_VERSION, KIND_POINTS, POINT_STRIDE } from "../../faaslets/abi/layout";
import { byteLength, create, data } from "../../faaslets/assembly/lib/region";

export function gr_abi_version(): i32 { return ABI_VERSION; }

// Reads whatever lies at an absolute address — all a faaslet can name is an offset into the memory it
// was instantiated on, which is its own tenant's arena; past the end it traps.
export function gr_run(ctx: usize): i32 {
  enter(ctx);
  const address = <usize><u64>param(ctx, 0);
  const seen = load<u64>(address);
  if (param(ctx, 1) != 0) store<u64>(address, 0x4242424242424242);
  const out = create(KIND_POINTS, 1, POINT_STRIDE, 0, [POINT_STRIDE], [1]);
  store<f64>(data(out), <f64>address);
  store<f64>(data(out) + 16, reinterpret<f64>(seen));
  output(ctx, out, <usize>byteLength(out));
  return 0;
}
