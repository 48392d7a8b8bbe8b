package getopt

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		args string
		opts []Opt
		rest []string
		err  *Error
	}{
		{"", nil, []string{}, nil},
		{"-n f x", []Opt{{'n', ""}}, []string{"f", "x"}, nil},
		{"-nxX f", []Opt{{'n', ""}, {'x', ""}, {'X', ""}}, []string{"f"}, nil},
		{"-o5 -t 3 x", []Opt{{'o', "5"}, {'t', "3"}}, []string{"x"}, nil},
		{"-no 7 x", []Opt{{'n', ""}, {'o', "7"}}, []string{"x"}, nil},
		{"-o -5 x", []Opt{{'o', "-5"}}, []string{"x"}, nil},
		{"-- -n x", nil, []string{"-n", "x"}, nil},
		{"--foo x", nil, []string{"x"}, nil},
		{"- x", nil, []string{"-", "x"}, nil},
		{"x -n", nil, []string{"x", "-n"}, nil},
		{"-n -q x", []Opt{{'n', ""}}, nil, &Error{Char: 'q'}},
		{"-n:", []Opt{{'n', ""}}, nil, &Error{Char: ':'}},
		{"-o", nil, nil, &Error{Char: 'o', Missing: true}},
		{"-n -o", []Opt{{'n', ""}}, nil, &Error{Char: 'o', Missing: true}},
	}
	for _, tc := range tests {
		args := strings.Fields(tc.args)
		opts, rest, err := Parse(args, "nNxXo:t:")
		if tc.rest != nil && rest == nil {
			rest = []string{}
		}
		if !reflect.DeepEqual(opts, tc.opts) || !reflect.DeepEqual(rest, tc.rest) || !reflect.DeepEqual(err, tc.err) {
			t.Errorf("Parse(%q): %v %q %v; want %v %q %v", tc.args, opts, rest, err, tc.opts, tc.rest, tc.err)
		}
	}
}

func TestMessages(t *testing.T) {
	var b strings.Builder
	(&Error{Char: 'q'}).Print(&b, "/usr/bin/setlock")
	(&Error{Char: 'o', Missing: true}).Print(&b, "softlimit")
	(&Error{Char: 0xe1}).Print(&b, "x")
	want := "setlock: illegal option -- q\nsoftlimit: option requires an argument -- o\nx: illegal option -- \xe1\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

// FuzzParse checks what must hold for any words: no panic, the operands
// are the tail of the words, and each option is a letter of the spec with
// an argument exactly when the spec says so. The comparison with the
// original's getopt, byte for byte, is in the programs that use Parse:
// setlock's and softlimit's FuzzOptions run Debian's binaries.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"-n\x00f\x00x", "-o5\x00-t\x003", "--\x00-x", "-o", "-\x00x", "--foo\x00x", "-nxo\x00\x00y"} {
		f.Add(s)
	}
	const spec = "nNxXo:t:"
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, "\x00")
		opts, rest, err := Parse(args, spec)
		if err != nil {
			if rest != nil {
				t.Fatalf("error %v with operands %q", err, rest)
			}
			if strings.IndexByte(spec, err.Char) >= 0 && err.Char != ':' && !err.Missing {
				t.Fatalf("known option %q reported illegal", err.Char)
			}
		} else if len(rest) > len(args) || !reflect.DeepEqual(rest, args[len(args)-len(rest):]) {
			t.Fatalf("operands %q are not the tail of %q", rest, args)
		}
		for _, o := range opts {
			k := strings.IndexByte(spec, o.Char)
			if k < 0 || o.Char == ':' {
				t.Fatalf("option %q not in spec", o.Char)
			}
			takes := k+1 < len(spec) && spec[k+1] == ':'
			if !takes && o.Arg != "" {
				t.Fatalf("option %q got argument %q", o.Char, o.Arg)
			}
		}
	})
}
