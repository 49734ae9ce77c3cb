// graticule's AssemblyScript runtime: every allocation comes from the host's `graticule.alloc`, which
// carves it out of the running invocation's chunks in the tenant arena. Nothing is ever freed here: the
// host returns all of an invocation's chunks at once when its result has left. The stock runtimes
// cannot be used on a shared arena (they bump or manage from a fixed heap base that every instance and
// every module would share; see faaslets/ABI.md).
import { OBJECT, OBJECT_OVERHEAD, BLOCK_OVERHEAD, BLOCK, OBJECT_MAXSIZE } from "~lib/rt/common";
import { CTX_MESSAGE, CTX_MESSAGE_LENGTH, CTX_MESSAGE_MAX, CTX_STATUS, STATUS_INTERNAL } from "../../abi/layout";

// @ts-ignore: decorator
@external("graticule", "alloc")
declare function hostAlloc(size: usize, align: usize): usize;

// The context of the invocation this instance is running; set by lib/ctx on entry, read by abort.
// @ts-ignore: decorator
@global export let __gr_ctx: usize = 0;

// @ts-ignore: decorator
@unsafe @global
export function __alloc(size: usize): usize {
  const ptr = hostAlloc(size + BLOCK_OVERHEAD, 16) + BLOCK_OVERHEAD;
  changetype<BLOCK>(ptr - BLOCK_OVERHEAD).mmInfo = size;
  return ptr;
}

// @ts-ignore: decorator
@unsafe @global
export function __realloc(ptr: usize, size: usize): usize {
  const actual = changetype<BLOCK>(ptr - BLOCK_OVERHEAD).mmInfo;
  if (size <= actual) return ptr;
  const moved = __alloc(max<usize>(size, actual << 1));
  memory.copy(moved, ptr, actual);
  return moved;
}

// @ts-ignore: decorator
@unsafe @global
export function __free(ptr: usize): void {}

// @ts-ignore: decorator
@unsafe @global
export function __reset(): void {}

// @ts-ignore: decorator
@unsafe @global
export function __new(size: usize, id: u32): usize {
  if (size > OBJECT_MAXSIZE) unreachable();
  const ptr = __alloc(OBJECT_OVERHEAD + size);
  const object = changetype<OBJECT>(ptr - BLOCK_OVERHEAD);
  object.gcInfo = 0;
  object.gcInfo2 = 0;
  object.rtId = id;
  object.rtSize = <u32>size;
  return ptr + OBJECT_OVERHEAD;
}

// @ts-ignore: decorator
@unsafe @global
export function __renew(oldPtr: usize, size: usize): usize {
  if (size > OBJECT_MAXSIZE) unreachable();
  const newPtr = __realloc(oldPtr - OBJECT_OVERHEAD, OBJECT_OVERHEAD + size);
  changetype<OBJECT>(newPtr - BLOCK_OVERHEAD).rtSize = <u32>size;
  return newPtr + OBJECT_OVERHEAD;
}

// @ts-ignore: decorator
@global @unsafe
export function __link(parentPtr: usize, childPtr: usize, expectMultiple: bool): void {}

// @ts-ignore: decorator
@global @unsafe
export function __pin(ptr: usize): usize { return ptr; }

// @ts-ignore: decorator
@global @unsafe
export function __unpin(ptr: usize): void {}

// @ts-ignore: decorator
@global @unsafe
function __visit(ptr: usize, cookie: u32): void {}

// @ts-ignore: decorator
@global @unsafe
export function __collect(): void {}

// A failed assertion or bounds check: leave "message (file:line:col)" in the context, then trap.
export function graticuleAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  const ctx = __gr_ctx;
  if (ctx != 0) {
    let text = message != null ? message : "abort";
    if (fileName != null) text += " (" + fileName + ":" + line.toString() + ":" + column.toString() + ")";
    const bytes = String.UTF8.encode(text);
    const n = min<i32>(bytes.byteLength, CTX_MESSAGE_MAX);
    memory.copy(ctx + CTX_MESSAGE, changetype<usize>(bytes), <usize>n);
    store<u32>(ctx + CTX_MESSAGE_LENGTH, <u32>n);
    store<i32>(ctx + CTX_STATUS, STATUS_INTERNAL);
  }
  unreachable();
}
