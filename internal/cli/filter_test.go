package cli

import (
	"bytes"
	"io"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
)

// upper is a conversion that keeps state across reads: it counts them and
// says at the end how many it saw.
func upper(reads *int) func(out, in []byte, eof bool) []byte {
	return func(out, in []byte, eof bool) []byte {
		*reads++
		out = append(out, bytes.ToUpper(in)...)
		if eof {
			out = append(out, "|end\n"...)
		}
		return out
	}
}

// TestFilter: every read goes through the conversion and is written before
// the next one; the conversion is told of the end of input once, last.
func TestFilter(t *testing.T) {
	var out, errb bytes.Buffer
	reads := 0
	in := iotest.OneByteReader(strings.NewReader("ab\ncd"))
	code := Filter(&Env{Stdin: in, Stdout: &out, Stderr: &errb}, "prog", upper(&reads))
	if code != 0 || out.String() != "AB\nCD|end\n" || errb.Len() != 0 || reads != 6 {
		t.Fatalf("exit %d, out %q, err %q, %d reads", code, out.String(), errb.String(), reads)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, syscall.EPIPE }

// TestFilterErrors: a failed write or read ends the program with 111 and
// the originals' messages; what was read before a read error is written.
func TestFilterErrors(t *testing.T) {
	var errb bytes.Buffer
	reads := 0
	code := Filter(&Env{Stdin: strings.NewReader("x"), Stdout: failWriter{}, Stderr: &errb}, "prog", upper(&reads))
	if code != 111 || errb.String() != "prog: fatal: unable to write output: broken pipe\n" {
		t.Fatalf("write error: exit %d, %q", code, errb.String())
	}
	var out bytes.Buffer
	errb.Reset()
	in := io.MultiReader(strings.NewReader("y"), iotest.ErrReader(syscall.EIO))
	code = Filter(&Env{Stdin: in, Stdout: &out, Stderr: &errb}, "prog", upper(&reads))
	if code != 111 || out.String() != "Y" || errb.String() != "prog: fatal: unable to read input: input/output error\n" {
		t.Fatalf("read error: exit %d, out %q, err %q", code, out.String(), errb.String())
	}
}
