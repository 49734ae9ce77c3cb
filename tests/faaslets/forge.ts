// A faaslet that breaks the ABI on purpose, one way per `mode`, so the reliability tests can show what the
// host checks (and what it cannot). Arguments a and b are raw numbers from the params.
//   0  output descriptor {ptr: a, len: b}, forged
//   1  the input region copied to an address 4 bytes off 8-byte alignment, output there
//   2  status 0 with no output at all
//   3  an unknown status (77) with a message
//   4  status 2 with a message length field of 1e6 (the host must clamp it to 256)
//   5  output {ptr: input + a, len: b}: an input-relative forged descriptor
//   6  five outputs (the context has room for four; the fifth overwrites the params)
//   7  memory.grow(a pages); the result (old size or -1) is the output point's weight
//   8  alloc(a, b) with raw arguments, then output the input
//   9  recursion `a` deep (0 = until the wasm stack is exhausted)
//  10  memory.atomic.wait32 on a word that never changes, no timeout: blocks its thread for good
//  11  writes an output point, then traps: a failed invocation must publish no partial output
import { alloc, enter, inputLen, inputPtr, output, param } from "../../faaslets/assembly/lib/ctx";
import { byteLength, create, data } from "../../faaslets/assembly/lib/region";
import {
  ABI_VERSION, CTX_MESSAGE, CTX_MESSAGE_LENGTH, CTX_OUTPUT_COUNT, CTX_OUTPUTS, CTX_STATUS, KIND_POINTS, POINT_STRIDE, POINT_WEIGHT,
} from "../../faaslets/abi/layout";

export function gr_abi_version(): i32 { return ABI_VERSION; }

function onePoint(weight: f64): usize {
  const out = create(KIND_POINTS, 1, POINT_STRIDE, 0, [POINT_STRIDE], [1]);
  store<f64>(data(out) + POINT_WEIGHT, weight);
  return out;
}

// not inlined, with a live local after the call, so the optimiser cannot turn it into a loop
@inline function never(): bool { return false; }
function recurse(n: u32, left: u32): u32 {
  if (n == 1 || never()) return left;
  const r = recurse(n - 1, left + 1);
  return r + (left & 1);
}

export function gr_run(ctx: usize): i32 {
  enter(ctx);
  const mode = <i32>param(ctx, 0);
  const a = param(ctx, 1);
  const b = param(ctx, 2);
  const input = inputPtr(ctx, 0);
  if (mode == 0) {
    output(ctx, <usize><u32><i64>a, <usize><u32><i64>b);
  } else if (mode == 1) {
    const n = byteLength(input);
    const at = alloc(<usize>n + 16, 8) + 4;
    memory.copy(at, input, <usize>n);
    output(ctx, at, <usize>n);
  } else if (mode == 2) {
    // nothing
  } else if (mode == 3) {
    store<u32>(ctx + CTX_MESSAGE_LENGTH, 3);
    store<u8>(ctx + CTX_MESSAGE, 0x3f);
    store<u8>(ctx + CTX_MESSAGE + 1, 0x3f);
    store<u8>(ctx + CTX_MESSAGE + 2, 0x3f);
    store<i32>(ctx + CTX_STATUS, 77);
    return 77;
  } else if (mode == 4) {
    store<u32>(ctx + CTX_MESSAGE_LENGTH, 1000000);
    store<i32>(ctx + CTX_STATUS, 2);
    return 2;
  } else if (mode == 5) {
    output(ctx, input + <usize><i64>a, <usize><u32><i64>b);
  } else if (mode == 6) {
    const p = onePoint(1);
    for (let i = 0; i < 5; i++) {
      store<u32>(ctx + CTX_OUTPUTS + (<usize>i << 3), <u32>p);
      store<u32>(ctx + CTX_OUTPUTS + (<usize>i << 3) + 4, byteLength(p));
    }
    store<u32>(ctx + CTX_OUTPUT_COUNT, 5);
  } else if (mode == 7) {
    const r = memory.grow(<i32>a);
    const p = onePoint(<f64>r);
    output(ctx, p, <usize>byteLength(p));
  } else if (mode == 8) {
    alloc(<usize><u32><i64>a, <usize><u32><i64>b);
    output(ctx, input, inputLen(ctx, 0));
  } else if (mode == 9) {
    const depth = a == 0 ? <u32>0xffffffff : <u32>a;
    const p = onePoint(<f64>recurse(depth, 0));
    output(ctx, p, <usize>byteLength(p));
  } else if (mode == 10) {
    const word = alloc(8, 8);
    store<i32>(word, 0);
    memory.atomic.wait32(word, 0, -1);
  } else if (mode == 11) {
    const p = onePoint(42);
    output(ctx, p, <usize>byteLength(p));
    unreachable();
  }
  return 0;
}
