package cli

import "io"

// filterBuf is Filter's read size.
const filterBuf = 64 << 10

// Filter is the loop of a program that copies its input to its output
// through conv, as tai64n and tai64nlocal do. After each read, conv appends
// to out what to write for in, the bytes read (eof tells that the input
// has ended: the last call, when in may be empty); that is written at once,
// so a slow writer's lines come out as soon as they arrive, as with the
// originals. Filter returns 0 at the end of input, or 111 after "unable to
// read input" or "unable to write output".
func Filter(e *Env, prog string, conv func(out, in []byte, eof bool) []byte) int {
	in := make([]byte, filterBuf)
	out := make([]byte, 0, filterBuf+filterBuf/2)
	for {
		n, rerr := e.Stdin.Read(in)
		out = conv(out[:0], in[:n], rerr == io.EOF)
		if len(out) > 0 {
			if _, err := e.Stdout.Write(out); err != nil {
				return Fatal(e.Stderr, prog, ExitTemp, "unable to write output: ", err)
			}
		}
		if rerr == io.EOF {
			return ExitOK
		}
		if rerr != nil {
			return Fatal(e.Stderr, prog, ExitTemp, "unable to read input: ", rerr)
		}
	}
}
