import { enter } from "../../faaslets/assembly/lib/ctx";
import { ABI_VERSION } from "../../faaslets/abi/layout";

export function gr_abi_version(): i32 { return ABI_VERSION; }

export function gr_run(ctx: usize): i32 {
  enter(ctx);
  unreachable();
  return 0;
}
