package softlimit

import (
	"math/big"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/internal/chain/chaintest"
	"github.com/svbridge/svbridge/internal/chain/getopt"
)

func TestMain(m *testing.M) { os.Exit(chaintest.Main(m, "softlimit", Main)) }

// limits is a child printing the limits it really got.
var limits = []string{"/bin/cat", "/proc/self/limits"}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{}, {"-o", "5"}, {"-x", "1", "true"}, {"-o"}, {"-o", "12x", "true"},
		{"-o", "-5", "true"}, {"-o", " 5", "true"}, {"-t", "+5", "true"}, {"-=", "true"},
	} {
		r := chaintest.Compare(t, "softlimit", chaintest.Cmd{Args: args, Env: chaintest.Env()})
		if r.Code != 100 || !strings.Contains(r.Stderr, "softlimit: usage: ") {
			t.Errorf("softlimit %q: %v", args, r)
		}
	}
	r := chaintest.Compare(t, "softlimit", chaintest.Cmd{Args: []string{"-o", "50", "no-such-child"}, Env: chaintest.Env()})
	if r.Code != 111 {
		t.Errorf("unable to run: %v", r)
	}
}

// TestLimits compares the limits a child sees, for every option, with a
// value below the hard limit, "=", and values above the hard limit
// (including one that wraps around as the original's unsigned long does).
func TestLimits(t *testing.T) {
	var nofile unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_NOFILE, &nofile)
	cases := [][]string{
		{"-a", "3000000000"}, {"-c", "12345"}, {"-d", "900000000"}, {"-f", "100000"},
		{"-l", "65536"}, {"-m", "800000000"}, {"-o", "50"}, {"-p", "77"},
		{"-r", "1000000"}, {"-s", "1000000"}, {"-t", "7"},
		{"-o", "="}, {"-c", "="}, {"-m", "="}, {"-p", "="}, {"-s", "="},
		{"-o", "18446744073709551614"}, {"-o", "99999999"}, {"-o", "18446744073709551616050"},
		{"-c", "18446744073709551617"}, {"-l", ""},
		{"-o40", "-t", "9", "-c0", "-o", "45"},
		{"--", "-p", "5"}, {"--x"},
		// Not touching RLIMIT_NOFILE: the child must see the caller's soft
		// limit, not the one the Go runtime raised for itself.
		{"-p", "55"},
	}
	for _, args := range cases {
		r := chaintest.Compare(t, "softlimit", chaintest.Cmd{Args: append(args, limits...), Env: chaintest.Env()})
		if r.Code != 0 && args[0] != "--" {
			t.Errorf("softlimit %q: %v", args, r)
		}
		// Again from a caller whose soft RLIMIT_NOFILE is below its hard
		// limit: then the Go runtime raises its own and restores the old one
		// when it execs, unless softlimit's setting went through
		// syscall.Setrlimit.
		wrap := []string{"/usr/bin/softlimit", "-o", "1000"}
		ours := chaintest.Run(t, chaintest.Cmd{Args: append(append(wrap, chaintest.Ours("softlimit")), append(args, limits...)...), Env: chaintest.Env()})
		theirs := chaintest.Run(t, chaintest.Cmd{Args: append(append(wrap, wrap[0]), append(args, limits...)...), Env: chaintest.Env()})
		if ours.Code != theirs.Code || ours.Stdout != theirs.Stdout || ours.Stderr != theirs.Stderr {
			t.Errorf("softlimit %q under soft nofile 1000:\nours:   %v\ntheirs: %v", args, ours, theirs)
		}
	}
	// And the same as a shell sees it.
	attr := []string{"-o", "=", "/bin/sh", "-c", "ulimit -n; ulimit -Hn; ulimit -t"}
	r := chaintest.Compare(t, "softlimit", chaintest.Cmd{Args: append([]string{"-t", "3"}, attr...), Env: chaintest.Env()})
	if want := "\n" + "3\n"; !strings.HasSuffix(r.Stdout, want) || !strings.HasPrefix(r.Stdout, itoa(nofile.Max)+"\n") {
		t.Errorf("ulimit in the child: %q (hard nofile %d)", r.Stdout, nofile.Max)
	}
}

func itoa(v uint64) string {
	if v == unix.RLIM_INFINITY {
		return "unlimited"
	}
	return new(big.Int).SetUint64(v).String()
}

// TestNoExtraProcess checks that softlimit becomes its child.
func TestNoExtraProcess(t *testing.T) {
	r := chaintest.Run(t, chaintest.Cmd{Args: []string{chaintest.Ours("softlimit"), "-o", "60", "/bin/sh", "-c", "echo $$"}, Env: chaintest.Env()})
	if strings.TrimSpace(r.Stdout) != itoa(uint64(r.Pid)) {
		t.Errorf("child pid %q, started pid %d", r.Stdout, r.Pid)
	}
}

func TestValue(t *testing.T) {
	tests := []struct {
		in       string
		v        uint64
		hard, ok bool
	}{
		{"=", 0, true, true}, {"", 0, false, true}, {"0", 0, false, true},
		{"18446744073709551615", 1<<64 - 1, false, true},
		{"18446744073709551616", 0, false, true},
		{"18446744073709551621", 5, false, true},
		{"==", 0, false, false}, {"1=", 0, false, false}, {"-1", 0, false, false}, {"1 ", 0, false, false},
	}
	for _, tc := range tests {
		v, hard, ok := Value(tc.in)
		if v != tc.v || hard != tc.hard || ok != tc.ok {
			t.Errorf("Value(%q) = %d %v %v", tc.in, v, hard, ok)
		}
	}
	r := Soft(unix.Rlimit{Cur: 5, Max: 100}, 1000, false)
	if r.Cur != 100 || r.Max != 100 {
		t.Errorf("Soft above hard: %+v", r)
	}
	if r := Soft(unix.Rlimit{Cur: 5, Max: 100}, 0, true); r.Cur != 100 {
		t.Errorf("Soft =: %+v", r)
	}
}

// cpuTimeZero reports whether softlimit's options in words set the soft CPU
// time limit to 0 (the last -t counts, as each is applied in turn).
func cpuTimeZero(words []string) bool {
	opts, _, _ := getopt.Parse(words, spec)
	zero := false
	for _, o := range opts {
		if o.Char == 't' {
			v, hard, ok := Value(o.Arg)
			zero = ok && !hard && v == 0
		}
	}
	return zero
}

// FuzzOptions runs ours and daemontools' softlimit on the same words (then a
// child printing its limits) and requires the same limits, output and exit
// code; Value is also checked against arbitrary-precision arithmetic.
func FuzzOptions(f *testing.F) {
	for _, s := range []string{"-o 50", "-o=", "-m 100000000 -t 5", "-x", "-o", "--", "-- -o 5", "-c 18446744073709551617", "-o5 -p", "-", "-o 1a"} {
		f.Add(s)
	}
	chaintest.Theirs(f, "softlimit") // no comparison without the original
	f.Fuzz(func(t *testing.T, s string) {
		words := chaintest.Words(t, s, 8)
		for _, w := range words {
			v, hard, ok := Value(w)
			n, isNum := new(big.Int).SetString(w, 10)
			digits := w == "" || (isNum && strings.Trim(w, "0123456789") == "")
			if hard != (w == "=") || ok != (hard || digits) {
				t.Fatalf("Value(%q) = %d %v %v", w, v, hard, ok)
			}
			if digits && w != "" && v != new(big.Int).Mod(n, new(big.Int).Lsh(big.NewInt(1), 64)).Uint64() {
				t.Fatalf("Value(%q) = %d", w, v)
			}
		}
		// Limits that stop cat from starting at all are fine: both must fail
		// the same way. Both run in a directory of their own: a child
		// killed by SIGXCPU may dump core.
		args := append(words, limits...)
		ours, want := chaintest.Both(t, "softlimit", chaintest.Cmd{Args: args, Env: chaintest.Env(), Dir: t.TempDir()})
		// A CPU time limit of 0 kills the child (SIGXCPU) at the first
		// scheduler tick that finds it running, which may come before or
		// after cat has printed or failed to load, or not at all: any of
		// these is right for either side.
		if cpuTimeZero(words) && ours.Code != want.Code && (ours.Code == -1 || want.Code == -1) {
			t.Skip("CPU time limit 0: killed or not, depending on the tick")
		}
		if ours.Code != want.Code || ours.Stdout != want.Stdout || ours.Stderr != want.Stderr {
			t.Fatalf("softlimit %q:\nours:   %v\ntheirs: %v", args, ours, want)
		}
	})
}
