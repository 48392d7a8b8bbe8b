// Package tai64n is the tai64n program: it puts a TAI64N label and a space
// in front of every line of its input, stamped when the line's first byte
// is read.
package tai64n

import (
	"bytes"
	"io"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/tai64n"
)

const prog = "tai64n"

// bufSize is the read size; output is written once per read, so a slow
// writer's lines come out as soon as they arrive, as with the original.
const bufSize = 64 << 10

// Main runs tai64n.
func Main(e *cli.Env) int {
	in := make([]byte, bufSize)
	out := make([]byte, 0, bufSize+bufSize/2)
	atStart := true
	for {
		n, rerr := e.Stdin.Read(in)
		if n > 0 {
			out = Stamp(out[:0], in[:n], &atStart, tai64n.Now)
			if _, err := e.Stdout.Write(out); err != nil {
				return cli.Fatal(e.Stderr, prog, cli.ExitTemp, "unable to write output: ", err)
			}
		}
		if rerr == io.EOF {
			return 0
		}
		if rerr != nil {
			return cli.Fatal(e.Stderr, prog, cli.ExitTemp, "unable to read input: ", rerr)
		}
	}
}

// Stamp appends data to out with a label before each line start; atStart
// carries "the next byte starts a line" from one call to the next.
func Stamp(out, data []byte, atStart *bool, now func() tai64n.Stamp) []byte {
	for len(data) > 0 {
		if *atStart {
			out = now().AppendLabel(out)
			out = append(out, ' ')
			*atStart = false
		}
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return append(out, data...)
		}
		out = append(out, data[:i+1]...)
		data = data[i+1:]
		*atStart = true
	}
	return out
}
