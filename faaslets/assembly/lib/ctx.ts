// Reading an invocation context and answering through it (layout: faaslets/abi/layout.ts).
import {
  CTX_INPUTS, CTX_INPUT_COUNT, CTX_MESSAGE, CTX_MESSAGE_LENGTH, CTX_MESSAGE_MAX, CTX_OUTPUTS,
  CTX_OUTPUT_COUNT, CTX_PARAMS, CTX_PARAM_COUNT, CTX_STATUS, STATUS_OK,
} from "../../abi/layout";

// @ts-ignore: decorator
@external("graticule", "alloc")
export declare function alloc(size: usize, align: usize): usize;

/** Call first in gr_run: lets an abort leave its message in this context. */
export function enter(ctx: usize): void {
  __gr_ctx = ctx;
  store<u32>(ctx + CTX_OUTPUT_COUNT, 0);
  store<i32>(ctx + CTX_STATUS, STATUS_OK);
  store<u32>(ctx + CTX_MESSAGE_LENGTH, 0);
}

export function inputCount(ctx: usize): u32 { return load<u32>(ctx + CTX_INPUT_COUNT); }
export function inputPtr(ctx: usize, i: u32): usize { return <usize>load<u32>(ctx + CTX_INPUTS + (<usize>i << 3)); }
export function inputLen(ctx: usize, i: u32): usize { return <usize>load<u32>(ctx + CTX_INPUTS + (<usize>i << 3) + 4); }
export function paramCount(ctx: usize): u32 { return load<u32>(ctx + CTX_PARAM_COUNT); }
export function param(ctx: usize, i: u32): f64 { return load<f64>(ctx + CTX_PARAMS + (<usize>i << 3)); }

export function output(ctx: usize, ptr: usize, len: usize): void {
  const n = load<u32>(ctx + CTX_OUTPUT_COUNT);
  store<u32>(ctx + CTX_OUTPUTS + (<usize>n << 3), <u32>ptr);
  store<u32>(ctx + CTX_OUTPUTS + (<usize>n << 3) + 4, <u32>len);
  store<u32>(ctx + CTX_OUTPUT_COUNT, n + 1);
}

/** Report an error: status code plus a message, no output. Returns the status for `return fail(...)`. */
export function fail(ctx: usize, status: i32, message: string): i32 {
  const bytes = String.UTF8.encode(message);
  const n = min<i32>(bytes.byteLength, CTX_MESSAGE_MAX);
  memory.copy(ctx + CTX_MESSAGE, changetype<usize>(bytes), <usize>n);
  store<u32>(ctx + CTX_MESSAGE_LENGTH, <u32>n);
  store<u32>(ctx + CTX_OUTPUT_COUNT, 0);
  store<i32>(ctx + CTX_STATUS, status);
  return status;
}
