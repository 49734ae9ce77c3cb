import { enter, inputLen, inputPtr, output, param } from "../../faaslets/assembly/lib/ctx";
import { ABI_VERSION } from "../../faaslets/abi/layout";
import { byteLength } from "../../faaslets/assembly/lib/region";

export function gr_abi_version(): i32 { return ABI_VERSION; }

export function gr_run(ctx: usize): i32 {
  enter(ctx);
  const n = <u64>param(ctx, 0);
  let x: u64 = 1;
  let i: u64 = 0;
  // the volatile-ish store keeps the optimiser from deleting the loop
  while (n == 0 || i < n) {
    x = x * 6364136223846793005 + 1442695040888963407;
    store<u64>(ctx + 504, x);
    i++;
  }
  const r = inputPtr(ctx, 0);
  output(ctx, r, <usize>byteLength(r));
  return inputLen(ctx, 0) > 0 ? 0 : 0;
}
