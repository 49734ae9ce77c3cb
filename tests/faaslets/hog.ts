import { alloc, enter, inputPtr, output, param } from "../../faaslets/assembly/lib/ctx";
import { ABI_VERSION } from "../../faaslets/abi/layout";
import { byteLength } from "../../faaslets/assembly/lib/region";

export function gr_abi_version(): i32 { return ABI_VERSION; }

export function gr_run(ctx: usize): i32 {
  enter(ctx);
  const mib = <u32>param(ctx, 0);
  for (let i: u32 = 0; mib == 0 || i < mib; i++) {
    const p = alloc(1 << 20, 8);
    memory.fill(p, <u8>i, 1 << 20);
  }
  const r = inputPtr(ctx, 0);
  output(ctx, r, <usize>byteLength(r));
  return 0;
}
