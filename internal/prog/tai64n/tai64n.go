// Package tai64n is the tai64n program: it puts a TAI64N label and a space
// in front of every line of its input, stamped when the line's first byte
// is read.
package tai64n

import (
	"bytes"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/tai64n"
)

const prog = "tai64n"

// Main runs tai64n.
func Main(e *cli.Env) int {
	atStart := true
	return cli.Filter(e, prog, func(out, in []byte, _ bool) []byte {
		return Stamp(out, in, &atStart, tai64n.Now)
	})
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
