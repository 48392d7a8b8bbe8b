package tai64nlocal

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/tai64n"
	"github.com/svbridge/svbridge/internal/testkit"
)

func convert(in string, loc *time.Location, chunk int) string {
	c := &Converter{Loc: loc}
	var out []byte
	b := []byte(in)
	for len(b) > 0 {
		n := min(chunk, len(b))
		out = c.Convert(out, b[:n])
		b = b[n:]
	}
	return string(c.Flush(out))
}

func TestConvert(t *testing.T) {
	in := "@400000006553f10a075bcd15 x\n@3fffffffffffff00075bcd15 old\nplain\n\n@400000006553f10a075bcd15y\n@4000000065 short\n@zz\n@400000006553f10A075BCD15 upper\n@4000000065"
	want := "2023-11-14 22:13:20.123456789 x\n1969-12-31 23:55:34.123456789 old\nplain\n\n2023-11-14 22:13:20.123456789y\n@4000000065 short\n@zz\n2023-11-14 22:13:20.123456789 upper\n@4000000065"
	for _, chunk := range []int{1, 2, 7, 25, 26, 1000} {
		if got := convert(in, time.UTC, chunk); got != want {
			t.Errorf("chunk %d:\n got %q\nwant %q", chunk, got, want)
		}
	}
}

func TestMainBuffers(t *testing.T) {
	var out, errb bytes.Buffer
	code := Main(&cli.Env{Args: []string{"tai64nlocal"}, Stdin: strings.NewReader("no label\n@zz\n"), Stdout: &out, Stderr: &errb})
	if code != 0 || out.String() != "no label\n@zz\n" || errb.Len() != 0 {
		t.Fatalf("%d %q %q", code, out.String(), errb.String())
	}
}

// TestSameAsOriginal: on well-formed labels, in several time zones, our
// output is byte for byte the original's.
func TestSameAsOriginal(t *testing.T) {
	testkit.NeedDaemontools(t, "tai64nlocal")
	bin := binary
	var in strings.Builder
	for _, u := range []int64{0, 1, 86399, 951782400, 1700000000, 1782000000, 2000000000, 4102444800, -86400 * 365} {
		for _, ns := range []uint32{0, 7, 999999999} {
			in.Write(tai64n.FromTime(time.Unix(u, int64(ns))).AppendLabel(nil))
			in.WriteString(" line\n")
		}
	}
	in.WriteString("not stamped\n\n")
	for _, tz := range []string{"UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"} {
		var outs [2]string
		for i, prog := range []string{"/usr/bin/tai64nlocal", bin} {
			cmd := exec.Command(prog)
			cmd.Env = append(os.Environ(), "TZ="+tz)
			cmd.Stdin = strings.NewReader(in.String())
			o, err := cmd.Output()
			if err != nil {
				t.Fatal(prog, err)
			}
			outs[i] = string(o)
		}
		if outs[0] != outs[1] {
			t.Errorf("TZ=%s:\n ours %q\n orig %q", tz, outs[1], outs[0])
		}
	}
}

// binary is our tai64nlocal: the test binary, which is the program when run
// under its name (see testkit.Programs).
var binary string

func TestMain(m *testing.M) {
	os.Exit(testkit.Programs(m, map[string]cli.Main{"tai64nlocal": Main},
		func(dir string) { binary = filepath.Join(dir, "tai64nlocal") }))
}

// FuzzConvert: the output does not depend on how the input is split, and
// a line that does not start with a whole label comes out unchanged.
func FuzzConvert(f *testing.F) {
	f.Add([]byte("@400000006553f10a075bcd15 x\n@zz\n"), uint8(3))
	f.Add([]byte("@4000000065"), uint8(1))
	f.Add([]byte("@ffffffffffffffffffffffff y\n@0000000000000000000000000\n"), uint8(5))
	f.Fuzz(func(t *testing.T, in []byte, chunk uint8) {
		whole := convert(string(in), time.UTC, len(in)+1)
		if got := convert(string(in), time.UTC, int(chunk)+1); got != whole {
			t.Fatalf("split by %d: %q, whole: %q", chunk+1, got, whole)
		}
		inLines := strings.SplitAfter(string(in), "\n")
		outLines := strings.SplitAfter(whole, "\n")
		if len(inLines) != len(outLines) {
			t.Fatalf("%d lines in, %d out", len(inLines), len(outLines))
		}
		for i, l := range inLines {
			if _, ok := tai64n.ParseLabel([]byte(l)); !ok && outLines[i] != l {
				t.Fatalf("unstamped line %q changed to %q", l, outLines[i])
			}
		}
	})
}
