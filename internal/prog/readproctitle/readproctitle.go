// Package readproctitle is the readproctitle program: it shows the newest
// bytes of its input in its own command line, where ps and
// /proc/PID/cmdline show them.
//
// How the title is changed: Go's runtime builds os.Args as strings that
// point straight into the argv block the kernel set up (it does not copy
// them), and that block is what /proc/PID/cmdline reads. So the last
// argument's bytes are overwritten in place. Before writing, Title checks
// that those bytes really lie inside the argv block named by /proc/self/stat
// (fields arg_start and arg_end); if not (a test calling Main with its own
// strings, or a runtime that copies), the title is kept in a private buffer
// and only Title reports it. prctl(PR_SET_MM_ARG_START) is not used: it
// needs CAP_SYS_RESOURCE.
package readproctitle

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"github.com/svbridge/svbridge/internal/cli"
)

// MinLen is the shortest last argument the original accepts; it exits 100,
// silently, on anything shorter (or no argument).
const MinLen = 5

// keep is how many leading bytes of the last argument stay as dots.
const keep = 3

// Main runs readproctitle.
func Main(e *cli.Env) int {
	if len(e.Args) < 2 || len(e.Args[len(e.Args)-1]) < MinLen {
		return cli.ExitUsage
	}
	t := NewTitle(e.Args[len(e.Args)-1])
	buf := make([]byte, 4096)
	for {
		n, err := e.Stdin.Read(buf)
		if n > 0 {
			t.Write(buf[:n])
		}
		if err != nil {
			return 0
		}
	}
}

// Title is the window of the command line that holds the newest input.
type Title struct {
	b       []byte
	inPlace bool
}

// NewTitle takes over the bytes of arg (the last argument) and fills them
// with dots, as the original does before reading anything.
func NewTitle(arg string) *Title {
	t := &Title{}
	if p := unsafe.StringData(arg); p != nil && inArgv(uintptr(unsafe.Pointer(p)), len(arg)) {
		t.b = unsafe.Slice(p, len(arg))
		t.inPlace = true
	} else {
		t.b = []byte(arg)
	}
	for i := range t.b {
		t.b[i] = '.'
	}
	return t
}

// InPlace reports whether the process's command line is being changed.
func (t *Title) InPlace() bool { return t.inPlace }

// String returns the title as it is now.
func (t *Title) String() string { return string(t.b) }

// Write shifts the newest bytes of p (NUL bytes are skipped) into the
// title, keeping its first three bytes.
func (t *Title) Write(p []byte) (int, error) {
	n := len(p)
	win := t.b[keep:]
	for len(p) > 0 {
		chunk := p
		if i := bytes.IndexByte(p, 0); i >= 0 {
			chunk, p = p[:i], p[i+1:]
		} else {
			p = nil
		}
		if len(chunk) >= len(win) {
			copy(win, chunk[len(chunk)-len(win):])
			continue
		}
		copy(win, win[len(chunk):])
		copy(win[len(win)-len(chunk):], chunk)
	}
	return n, nil
}

var _ io.Writer = (*Title)(nil)

// inArgv reports whether [p, p+n) lies inside this process's argv block.
func inArgv(p uintptr, n int) bool {
	start, end, ok := argvBlock()
	return ok && p >= start && p+uintptr(n) <= end
}

// argvBlock reads arg_start and arg_end (fields 48 and 49) of /proc/self/stat.
func argvBlock() (start, end uintptr, ok bool) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, 0, false
	}
	s := string(b)
	// The command name (field 2) may hold spaces; fields restart after ')'.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3.
	if len(f) < 47 {
		return 0, 0, false
	}
	a, err1 := strconv.ParseUint(f[45], 10, 64)
	z, err2 := strconv.ParseUint(f[46], 10, 64)
	if err1 != nil || err2 != nil || a == 0 || z <= a {
		return 0, 0, false
	}
	return uintptr(a), uintptr(z), true
}
