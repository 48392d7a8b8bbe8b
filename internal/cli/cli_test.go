package cli

import (
	"bytes"
	"fmt"
	"os"
	"syscall"
	"testing"
)

func TestErrStr(t *testing.T) {
	_, err := os.Open("/nonexistent/x")
	if got := ErrStr(err); got != "file does not exist" {
		t.Errorf("ENOENT: got %q", got)
	}
	if got := ErrStr(fmt.Errorf("wrap: %w", syscall.EAGAIN)); got != "temporary failure" {
		t.Errorf("EAGAIN: got %q", got)
	}
	if got := ErrStr(syscall.Errno(4000)); got != "unknown error" {
		t.Errorf("unknown: got %q", got)
	}
}

func TestFatal(t *testing.T) {
	var b bytes.Buffer
	code := Fatal(&b, "svc", ExitTemp, "unable to chdir to ", "x", ": ", syscall.ENOENT)
	if code != 111 || b.String() != "svc: fatal: unable to chdir to x: file does not exist\n" {
		t.Fatalf("got %d %q", code, b.String())
	}
}
