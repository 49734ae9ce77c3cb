// A progress line on stderr: rewritten in place (\r) on a terminal; in a log or a pipe, where \r would pile
// up into one endless line, a plain line every `everyMs` instead, and always the last one.
export class Progress {
  private last = 0
  private readonly tty: boolean

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr, private readonly everyMs = { tty: 1_000, log: 10_000 }) {
    this.tty = stream.isTTY === true
  }

  /** Shows `text` if the last line is old enough; `text` is only built when it will be shown. */
  update(text: () => string, now = Date.now()): void {
    if (now - this.last < (this.tty ? this.everyMs.tty : this.everyMs.log)) return
    this.last = now
    this.stream.write(this.tty ? `\r${text()}\x1b[K` : `${text()}\n`)
  }

  /** The final line, ending the one rewritten in place. */
  done(text: string): void {
    this.stream.write(this.tty ? `\r${text}\x1b[K\n` : `${text}\n`)
  }
}
